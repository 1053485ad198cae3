"""Fine-tuning runs: the Hydra schema for TrainingArguments, data-parallel launches, and train / evaluate_run."""
