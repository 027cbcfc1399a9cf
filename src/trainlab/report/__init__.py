"""``trainlab report <sweep_dir>``: the book's figures and a summary table from a sweep's TensorBoard logs (or its
``metrics.csv`` files, for runs logged with ``logger=csv``)."""
