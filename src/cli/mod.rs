//! cli stage.
