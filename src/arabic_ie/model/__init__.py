"""The network: one encoder with a head per task, its tokenizer, and the one batching path that runs a model over windows."""
