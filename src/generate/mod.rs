//! Synthetic telescope traffic with ground truth (temporary placeholder
//! until the generator branch lands).
use std::path::PathBuf;
pub struct GenerateConfig { pub out: PathBuf, pub packets: u64, pub days: u32, pub seed: u64, pub sources: u32, pub start: crate::time::Day, pub darknet: (u32, u8) }
#[derive(Debug, thiserror::Error)]
pub enum GenerateError { #[error("not built yet")] NotYet }
pub fn generate(_cfg: &GenerateConfig) -> Result<(), GenerateError> { Err(GenerateError::NotYet) }
