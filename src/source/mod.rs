//! source stage.
