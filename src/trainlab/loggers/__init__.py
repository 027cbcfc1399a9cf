"""What a run logs, and how: Lightning's loggers where a resumed run would otherwise lose what it logged
(``tensorboard``, ``csv_logger``), TensorBoard events written from a buffer (``buffered_event_writer``; torch's
``SummaryWriter`` over it: ``buffered_summary_writer``), and what the HPARAMS tab shows of a run (``hparams``)."""
