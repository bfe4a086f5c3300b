//! What every handler shares: the snapshots it reads, a store handle for the reads that
//! are not in a snapshot, the committee's zone, the service it writes through, the
//! settings, and the caches (one type, [`super::cache::VersionedCache`], each holding one
//! data version at a time).

use std::sync::Arc;

use super::{analysis, areas, assets};
use crate::domain::Zone;
use crate::service::{Service, Snapshots};
use crate::store::Store;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The committed data, one immutable snapshot per request.
    pub snapshots: Arc<Snapshots>,
    /// Reads that are not in a snapshot: tokens, the programme's history.
    pub store: Store,
    /// The committee's zone: days, months and years are counted in it.
    pub zone: Arc<Zone>,
    /// Writes (imports, catalogue, tokens, the programme), each refreshing `snapshots`.
    pub service: Arc<Service>,
    pub analysis: Arc<analysis::AnalysisSettings>,
    /// The disclosure rules for anonymous callers, when aggregates are public.
    pub public: Option<Arc<super::public::PublicRules>>,
    /// Rendered analysis responses of the current data version.
    pub cache: Arc<analysis::ResultCache>,
    /// Hexagon outlines as GeoJSON (they never change).
    pub hexagons: Arc<super::render::HexagonMemo>,
    /// The conversion programme's targets and shared caches.
    pub programme: Arc<areas::ProgrammeState>,
    /// The map page with its settings filled in.
    pub page: Arc<assets::Page>,
}

impl AppState {
    /// Who `caller` is to the analyses: a viewer (any valid token or session), the public
    /// (anonymous, on a public server).
    ///
    /// # Errors
    /// 401 for an anonymous caller when aggregates are not public.
    pub fn audience(
        &self,
        caller: &super::extract::Caller,
    ) -> Result<super::public::Audience, super::error::ApiError> {
        use super::public::Audience;
        match (&caller.0, &self.public) {
            (Some(_), _) => Ok(Audience::Viewer),
            (None, Some(rules)) => Ok(Audience::Public(Arc::clone(rules))),
            (None, None) => caller
                .require(crate::auth::Role::Viewer)
                .map(|_| Audience::Viewer),
        }
    }

    /// State with the default analysis settings (aggregates need a token).
    #[must_use]
    pub fn new(service: Arc<Service>) -> Self {
        Self::with_settings(service, analysis::AnalysisSettings::default())
    }

    /// State with `settings`.
    ///
    /// Perturbation parameters that make no p-table leave anonymous callers refused (401), as
    /// if aggregates were not public, and log why; the command line checks them first
    /// ([`analysis::AnalysisSettings::public_rules`]) and stops with the message.
    #[must_use]
    pub fn with_settings(service: Arc<Service>, settings: analysis::AnalysisSettings) -> Self {
        let public = settings.public_rules().unwrap_or_else(|e| {
            tracing::error!("public aggregates are off: {e}");
            None
        });
        Self {
            public: public.map(Arc::new),
            snapshots: Arc::clone(service.snapshots()),
            store: service.store().clone(),
            zone: Arc::new(service.zone().clone()),
            service,
            cache: Arc::new(analysis::ResultCache::new(settings.cache_entries)),
            hexagons: Arc::new(super::render::HexagonMemo::new(super::render::HEXAGONS_MAX)),
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
