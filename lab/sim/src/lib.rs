//! HotDB simulator (see lab/README.md).
