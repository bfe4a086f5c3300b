//! What every handler shares: the service, the settings, and the caches (one type,
//! [`super::cache::VersionedCache`], each holding one data version at a time).

use std::sync::Arc;

use super::{analysis, areas, assets};
use crate::service::Service;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub analysis: Arc<analysis::AnalysisSettings>,
    /// Rendered analysis responses of the current data version.
    pub cache: Arc<analysis::ResultCache>,
    /// Hexagon outlines as GeoJSON (they never change).
    pub hexagons: Arc<analysis::HexagonMemo>,
    /// The conversion programme's targets and shared caches.
    pub programme: Arc<areas::ProgrammeState>,
    /// The map page with its settings filled in.
    pub page: Arc<assets::Page>,
}

impl AppState {
    /// State with the default analysis settings (aggregates need a token).
    #[must_use]
    pub fn new(service: Arc<Service>) -> Self {
        Self::with_settings(service, analysis::AnalysisSettings::default())
    }

    #[must_use]
    pub fn with_settings(service: Arc<Service>, settings: analysis::AnalysisSettings) -> Self {
        Self {
            service,
            cache: Arc::new(analysis::ResultCache::new(settings.cache_entries)),
            hexagons: Arc::new(analysis::HexagonMemo::new(analysis::HEXAGONS_MAX)),
            analysis: Arc::new(settings),
            programme: Arc::default(),
            page: Arc::default(),
        }
    }

    /// This state with the map page's settings (basemap, time zone).
    #[must_use]
    pub fn with_page(mut self, settings: &assets::PageSettings) -> Self {
        self.page = Arc::new(assets::Page {
            index_html: assets::index_html(settings),
        });
        self
    }

    /// This state with the committee's default targets for the conversion programme.
    #[must_use]
    pub fn with_targets(mut self, targets: crate::domain::Targets) -> Self {
        self.programme = Arc::new(areas::ProgrammeState::new(targets));
        self
    }
}
