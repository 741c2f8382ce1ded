//! classify stage.

pub mod geo;
