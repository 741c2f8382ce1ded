//! Synthetic telescope traffic with ground truth.
