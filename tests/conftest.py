import os

# Qt aborts the process without a display unless a platform is chosen before it is imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
