import os

# Qt aborts the process without a display unless a platform is chosen before it is imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As in the app (rnn_viz/cli.py): one BLAS thread, so the worker and the UI thread do not fight
# over two cores with spinning OpenBLAS threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
