//! Validated records of one layer travelling together: what a parser hands on (to the
//! store in an import).

use super::area::NewArea;
use super::records::{NewCamera, NewIncident, NewModel};

/// Validated records of one layer, as an import hands them to the store.
#[derive(Debug)]
pub enum Batch {
    Incidents(Vec<NewIncident>),
    Cameras(Vec<NewCamera>),
    Models(Vec<NewModel>),
    Areas(Vec<NewArea>),
}

impl Batch {
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Incidents(v) => v.len(),
            Self::Cameras(v) => v.len(),
            Self::Models(v) => v.len(),
            Self::Areas(v) => v.len(),
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
