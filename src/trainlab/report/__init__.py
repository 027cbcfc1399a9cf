"""``trainlab report <sweep_dir>``: the book's figures and a summary table from a sweep's TensorBoard logs."""
