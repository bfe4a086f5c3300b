//! The incident index: a compact columnar store with an R-tree over pages of it.
//!
//! Layout. Incidents live in two [`Segment`]s of parallel columns (id, H3 cell, time,
//! lon, lat, category, severity+solved flags, record key; 47 bytes a row):
//!
//! - `main` is sorted by resolution-15 H3 cell (then id). H3 indexes order by base cell and
//!   then digit by digit from coarse to fine, so every coarser cell is one contiguous run of
//!   `main`: counting per cell at any resolution is one pass with no hashing.
//! - `delta` holds rows written since `main` was built, in arrival order. It is merged into
//!   `main` when it grows past [`MERGE_AT`] rows (or a quarter of `main`).
//!
//! Spatial queries go through an `rstar` R-tree whose leaves are pages of [`PAGE`]
//! consecutive rows of `main` with their bounding boxes — the disk R-tree's leaf page, in
//! memory. Because neighbouring rows in H3 order are neighbours on the ground, the pages are
//! compact; the tree costs about 1 byte a row, where a leaf per point would cost 40.
//!
//! Both segments are immutable and shared through `Arc`: a write builds a new
//! [`IncidentIndex`] and readers holding the old one keep a consistent view.

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, OnceLock, Weak};

use h3o::{CellIndex, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree, RTreeObject};

use super::containment::{self, Exceptions, SERVED_COUNT, parent15};
use super::rows::{CategoryRef, IncidentRow, Scanned};
use super::timecube::{AttrCubes, Attrs, Cube, TimeCube};
use crate::domain::{Severity, SeveritySet};

/// Rows per R-tree leaf page.
pub const PAGE: usize = 64;
/// Delta size that triggers a merge into `main`.
pub const MERGE_AT: usize = 65_536;

/// Category codes by the small integer the columns store. Append-only, so an older
/// snapshot's references stay valid after a new code appears.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    codes: Vec<Box<str>>,
    by_code: HashMap<Box<str>, CategoryRef>,
}

impl Interner {
    /// The reference for `code`, adding it if new.
    pub fn intern(&mut self, code: &str) -> CategoryRef {
        if let Some(&i) = self.by_code.get(code) {
            return i;
        }
        let i = CategoryRef::at(self.codes.len());
        self.codes.push(code.into());
        self.by_code.insert(code.into(), i);
        i
    }

    #[must_use]
    pub fn get(&self, code: &str) -> Option<CategoryRef> {
        self.by_code.get(code).copied()
    }

    #[must_use]
    pub fn code(&self, i: CategoryRef) -> &str {
        self.codes.get(i.index()).map_or("", |c| c)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// Packs severity (bits 0–1) and solved (bit 2) into one byte.
#[must_use]
pub const fn pack_flags(severity: Severity, solved: bool) -> u8 {
    severity.code() | if solved { 4 } else { 0 }
}

type Page = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Parallel columns of incidents.
#[derive(Debug, Default)]
pub struct Segment {
    pub id: Vec<i64>,
    /// Resolution-15 H3 cell. The hot loops work on its raw bits (`u64::from`, free: the
    /// type is a transparent `NonZeroU64`), parents by bit arithmetic.
    pub cell: Vec<CellIndex>,
    /// Unix seconds, UTC.
    pub time: Vec<i64>,
    pub lon: Vec<f64>,
    pub lat: Vec<f64>,
    pub category: Vec<CategoryRef>,
    /// See [`pack_flags`].
    pub flags: Vec<u8>,
    /// Record keys of the cell-key method (never published; see [`IncidentRow::key`]).
    pub key: Vec<u32>,
    pages: RTree<Page>,
    /// Per served resolution, the rows whose containing cell is not their resolution-15
    /// cell's parent; built on first use (see [`super::containment`]).
    containment: [OnceLock<Exceptions>; SERVED_COUNT],
    /// Per served resolution, the running counts over time per cell; built on first use
    /// (see [`super::timecube`]).
    timecubes: [OnceLock<Option<TimeCube>>; SERVED_COUNT],
    /// Time cubes of the rows of some categories or classes, built on first use.
    attr_cubes: AttrCubes,
}

impl Segment {
    #[must_use]
    pub fn len(&self) -> usize {
        self.id.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    fn with_capacity(n: usize) -> Self {
        Self {
            id: Vec::with_capacity(n),
            cell: Vec::with_capacity(n),
            time: Vec::with_capacity(n),
            lon: Vec::with_capacity(n),
            lat: Vec::with_capacity(n),
            category: Vec::with_capacity(n),
            flags: Vec::with_capacity(n),
            key: Vec::with_capacity(n),
            pages: RTree::new(),
            containment: Default::default(),
            timecubes: Default::default(),
            attr_cubes: AttrCubes::default(),
        }
    }

    fn push(&mut self, r: &IncidentRow) {
        self.id.push(r.id);
        self.cell.push(r.cell);
        self.time.push(r.occurred_at);
        self.lon.push(r.lon);
        self.lat.push(r.lat);
        self.category.push(r.category);
        self.flags.push(pack_flags(r.severity, r.solved));
        self.key.push(r.key);
    }

    fn extend_from(&mut self, other: &Self) {
        self.id.extend_from_slice(&other.id);
        self.cell.extend_from_slice(&other.cell);
        self.time.extend_from_slice(&other.time);
        self.lon.extend_from_slice(&other.lon);
        self.lat.extend_from_slice(&other.lat);
        self.category.extend_from_slice(&other.category);
        self.flags.extend_from_slice(&other.flags);
        self.key.extend_from_slice(&other.key);
    }

    /// The rows of this segment whose containing cell at `res` is not their resolution-15
    /// cell's parent, built on first use (on every core) and kept; `None` for a resolution
    /// the API does not serve.
    #[must_use]
    pub fn exceptions(&self, res: Resolution) -> Option<&Exceptions> {
        let slot = containment::slot(res)?;
        Some(self.containment[slot].get_or_init(|| {
            let threads = crate::parallel::threads();
            Exceptions::of(self, res, threads)
        }))
    }

    /// The running counts over time per containing cell at `res` (a served resolution),
    /// built on first use.
    #[must_use]
    pub fn timecube(&self, res: Resolution) -> Option<&TimeCube> {
        let slot = containment::slot(res)?;
        self.timecubes[slot]
            .get_or_init(|| TimeCube::of(self, res))
            .as_ref()
    }

    /// The time cube that counts the rows matching `filter` at `res` (a served resolution),
    /// if one can: no box or area, and a time range on bucket starts (or open). Categories
    /// and classes get a cube of their own ([`AttrCubes`]).
    #[must_use]
    pub fn cube_for(&self, filter: &Filter, res: Resolution) -> Option<Cube<'_>> {
        if filter.bbox.is_some()
            || filter.within.is_some()
            || !TimeCube::covers(filter.from, filter.to)
        {
            return None;
        }
        if filter.categories.is_none() && filter.severities.is_none() {
            return self.timecube(res).map(Cube::Rows);
        }
        containment::slot(res)?;
        let categories = filter.categories.clone().map(|mut c| {
            c.sort_unstable();
            c.dedup();
            c
        });
        let key = Attrs {
            res,
            categories,
            severities: filter.severities,
        };
        let attrs = Filter {
            categories: key.categories.clone(),
            severities: key.severities,
            ..Filter::default()
        };
        self.attr_cubes
            .get_or_build(&key, || {
                TimeCube::of_rows(self, res, |i| attrs.matches_attrs(self, i))
            })
            .map(Cube::Attrs)
    }

    /// Heap bytes of the attribute cubes held.
    #[must_use]
    pub fn attr_cube_bytes(&self) -> usize {
        self.attr_cubes.bytes()
    }

    /// The raw bits of the cell that contains row `i` at `res`: h3's `latLngToCell`, which
    /// for ~94% of rows is the parent of the row's resolution-15 cell.
    #[must_use]
    pub fn containing_cell(&self, i: usize, res: Resolution) -> u64 {
        match self.exceptions(res) {
            Some(e) => e.get(i).unwrap_or_else(|| parent15(self.cell[i], res)),
            None => containment::containing(self.lon[i], self.lat[i], res)
                .unwrap_or_else(|| parent15(self.cell[i], res)),
        }
    }

    #[must_use]
    pub fn row(&self, i: usize) -> IncidentRow {
        let flags = self.flags[i];
        IncidentRow {
            id: self.id[i],
            occurred_at: self.time[i],
            category: self.category[i],
            severity: Severity::from_code(flags),
            solved: flags & 4 != 0,
            lon: self.lon[i],
            lat: self.lat[i],
            cell: self.cell[i],
            key: self.key[i],
        }
    }

    /// Sorts rows by (cell, id), shrinks the columns to fit and bulk-loads the page tree.
    fn into_sorted(self) -> Self {
        fn gather<T: Copy>(col: &[T], perm: &[u32]) -> Vec<T> {
            perm.iter().map(|&i| col[i as usize]).collect()
        }
        let n = self.len();
        let mut perm: Vec<u32> = (0..u32::try_from(n).unwrap_or(u32::MAX)).collect();
        // By raw bits: for cells of one resolution the same order as `CellIndex`'s own, which
        // leaves the resolution bits out of the comparison.
        perm.sort_unstable_by_key(|&i| (u64::from(self.cell[i as usize]), self.id[i as usize]));
        let mut s = Self {
            id: gather(&self.id, &perm),
            cell: gather(&self.cell, &perm),
            time: gather(&self.time, &perm),
            lon: gather(&self.lon, &perm),
            lat: gather(&self.lat, &perm),
            category: gather(&self.category, &perm),
            flags: gather(&self.flags, &perm),
            key: gather(&self.key, &perm),
            pages: RTree::new(),
            containment: Default::default(),
            timecubes: Default::default(),
            attr_cubes: AttrCubes::default(),
        };
        drop(self);
        let pages = (0..n)
            .step_by(PAGE)
            .map(|start| {
                let end = (start + PAGE).min(n);
                let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
                for i in start..end {
                    lo = [lo[0].min(s.lon[i]), lo[1].min(s.lat[i])];
                    hi = [hi[0].max(s.lon[i]), hi[1].max(s.lat[i])];
                }
                #[expect(clippy::cast_possible_truncation, reason = "rows are counted in u32")]
                GeomWithData::new(Rectangle::from_corners(lo, hi), (start as u32, end as u32))
            })
            .collect();
        s.pages = RTree::bulk_load(pages);
        s
    }

    /// Calls `visit` with the position of every row inside `bbox` (all rows if `None`).
    /// Sorted segments use the page tree; the delta is scanned.
    fn for_each_in_bbox(&self, bbox: Option<&BBox>, mut visit: impl FnMut(usize)) {
        match bbox {
            None => (0..self.len()).for_each(visit),
            Some(b) if self.pages.size() == 0 => {
                for i in 0..self.len() {
                    if b.contains(self.lon[i], self.lat[i]) {
                        visit(i);
                    }
                }
            }
            Some(b) => {
                let env = AABB::from_corners([b.min_lon, b.min_lat], [b.max_lon, b.max_lat]);
                for page in self.pages.locate_in_envelope_intersecting(&env) {
                    let (start, end) = page.data;
                    // A page wholly inside the box needs no per-row test.
                    let inside = env.contains_envelope(&page.envelope());
                    for i in start as usize..end as usize {
                        if inside || b.contains(self.lon[i], self.lat[i]) {
                            visit(i);
                        }
                    }
                }
            }
        }
    }

    /// Bytes held by the columns and the tree (capacity, not length).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.id.capacity() * 8
            + self.cell.capacity() * 8
            + self.time.capacity() * 8
            + self.lon.capacity() * 8
            + self.lat.capacity() * 8
            + self.category.capacity() * 2
            + self.flags.capacity()
            + self.key.capacity() * 4
            // Each leaf page is a 40-byte node; parents add about a fifth more.
            + self.pages.size() * 48
    }
}

/// A lon/lat box, validated so that min ≤ max on both axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    /// # Errors
    /// When a value is not finite, out of range, or min > max (boxes across the
    /// antimeridian are not supported: no committee straddles it).
    pub fn new(
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> Result<Self, crate::domain::DomainError> {
        let lo = crate::domain::LonLat::new(min_lon, min_lat)
            .map_err(|e| crate::domain::DomainError::new("bbox", e.reason))?;
        let hi = crate::domain::LonLat::new(max_lon, max_lat)
            .map_err(|e| crate::domain::DomainError::new("bbox", e.reason))?;
        if lo.lon() > hi.lon() || lo.lat() > hi.lat() {
            return Err(crate::domain::DomainError::new(
                "bbox",
                "must be min_lon,min_lat,max_lon,max_lat with min ≤ max",
            ));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    #[must_use]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }
}

/// Which incidents a query wants. `None` means "no restriction".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub bbox: Option<BBox>,
    /// Inclusive, Unix seconds.
    pub from: Option<i64>,
    /// Exclusive, Unix seconds.
    pub to: Option<i64>,
    /// Category references (see [`Interner`]); an empty list matches nothing.
    pub categories: Option<Vec<CategoryRef>>,
    /// The severity classes wanted; an empty set matches nothing.
    pub severities: Option<SeveritySet>,
    /// Only incidents inside this (multi)polygon (an area); pair it with its bbox for
    /// pruning.
    pub within: Option<Arc<geo::MultiPolygon<f64>>>,
}

impl Filter {
    /// True when the filter restricts nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bbox.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && self.categories.is_none()
            && self.severities.is_none()
            && self.within.is_none()
    }

    /// Whether the filter restricts time only (the map's usual query): callers may then
    /// read the time column directly instead of testing each row.
    #[must_use]
    pub fn is_time_only(&self) -> bool {
        self.bbox.is_none()
            && self.categories.is_none()
            && self.severities.is_none()
            && self.within.is_none()
    }

    fn matches_attrs(&self, seg: &Segment, i: usize) -> bool {
        let t = seg.time[i];
        self.from.is_none_or(|f| t >= f)
            && self.to.is_none_or(|to| t < to)
            && self
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&seg.category[i]))
            && self
                .severities
                .is_none_or(|m| m.contains(Severity::from_code(seg.flags[i])))
            // Last: the exact polygon test is the only costly one.
            && self.within.as_ref().is_none_or(|a| {
                geo::Contains::contains(&**a, &geo::Point::new(seg.lon[i], seg.lat[i]))
            })
    }
}

/// Where and when the held incidents lie: what a client needs to choose a default view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub count: usize,
    /// Earliest and latest `occurred_at`, Unix seconds.
    pub first: i64,
    pub last: i64,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// Which rows an index holds, without keeping them alive: what a memo of something built
/// from the rows is keyed by. While a `Weak` lives its allocation is not reused, so an
/// identity matches only the very segments it was taken from, and a memo goes stale by
/// itself when a refresh replaces them.
#[derive(Debug, Clone)]
pub struct RowsId {
    main: Weak<Segment>,
    delta: Weak<Segment>,
}

impl RowsId {
    #[must_use]
    pub fn of(index: &IncidentIndex) -> Self {
        Self {
            main: Arc::downgrade(&index.main),
            delta: Arc::downgrade(&index.delta),
        }
    }

    /// Whether `index` holds the rows this identity was taken from.
    #[must_use]
    pub fn is(&self, index: &IncidentIndex) -> bool {
        std::ptr::eq(self.main.as_ptr(), Arc::as_ptr(&index.main))
            && std::ptr::eq(self.delta.as_ptr(), Arc::as_ptr(&index.delta))
    }
}

/// One immutable version of the incident index.
#[derive(Debug, Clone, Default)]
pub struct IncidentIndex {
    main: Arc<Segment>,
    delta: Arc<Segment>,
    categories: Arc<Interner>,
    max_id: i64,
    /// The earliest `occurred_at` (none when empty): where the data begin, which a
    /// comparison with a year earlier needs to know.
    first_time: Option<i64>,
}

impl IncidentIndex {
    /// Builds an index from scanned rows (any order).
    #[must_use]
    pub fn build(scanned: Scanned) -> Self {
        let mut categories = Interner::default();
        let map: Vec<CategoryRef> = scanned
            .categories
            .iter()
            .map(|c| categories.intern(c))
            .collect();
        let mut seg = Segment::with_capacity(scanned.rows.len());
        let mut max_id = 0;
        let mut first_time: Option<i64> = None;
        for r in &scanned.rows {
            let mut r = *r;
            r.category = map[r.category.index()];
            max_id = max_id.max(r.id);
            first_time = Some(first_time.map_or(r.occurred_at, |f| f.min(r.occurred_at)));
            seg.push(&r);
        }
        drop(scanned);
        Self {
            main: Arc::new(seg.into_sorted()),
            delta: Arc::default(),
            categories: Arc::new(categories),
            max_id,
            first_time,
        }
    }

    /// An index of parsed records with no database: ids 1…n in their order, as a fresh
    /// database that imported exactly these records would give (see
    /// [`Scanned::from_records`]).
    #[must_use]
    pub fn from_records(records: &[crate::domain::NewIncident]) -> Self {
        Self::build(Scanned::from_records(records))
    }

    /// The next version: this one plus `new` (rows newer than [`Self::max_id`]). Shares
    /// `main` unless the delta is due for a merge.
    #[must_use]
    pub fn with_appended(&self, new: &Scanned) -> Self {
        if new.rows.is_empty() {
            return self.clone();
        }
        let mut categories = (*self.categories).clone();
        let map: Vec<CategoryRef> = new
            .categories
            .iter()
            .map(|c| categories.intern(c))
            .collect();
        let mut delta = Segment::with_capacity(self.delta.len() + new.rows.len());
        delta.extend_from(&self.delta);
        let mut max_id = self.max_id;
        let mut first_time = self.first_time;
        for r in &new.rows {
            let mut r = *r;
            r.category = map[r.category.index()];
            max_id = max_id.max(r.id);
            first_time = Some(first_time.map_or(r.occurred_at, |f| f.min(r.occurred_at)));
            delta.push(&r);
        }
        let categories = Arc::new(categories);
        if delta.len() >= MERGE_AT.min(self.main.len() / 4).max(1024) {
            let mut all = Segment::with_capacity(self.main.len() + delta.len());
            all.extend_from(&self.main);
            all.extend_from(&delta);
            return Self {
                main: Arc::new(all.into_sorted()),
                delta: Arc::default(),
                categories,
                max_id,
                first_time,
            };
        }
        Self {
            main: Arc::clone(&self.main),
            delta: Arc::new(delta),
            categories,
            max_id,
            first_time,
        }
    }

    /// The earliest `occurred_at` of any incident (Unix seconds); `None` when empty.
    #[must_use]
    pub fn first_time(&self) -> Option<i64> {
        self.first_time
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.main.len() + self.delta.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The highest incident id held; rows above it are what a refresh fetches.
    #[must_use]
    pub const fn max_id(&self) -> i64 {
        self.max_id
    }

    #[must_use]
    pub fn categories(&self) -> &Interner {
        &self.categories
    }

    /// Finds the main segment's containment exceptions at every served resolution now
    /// (about 0.2 s each on 1M incidents and 2 cores), instead of in the first request at
    /// each resolution; the server does this after start-up and after each refresh.
    pub fn warm_containment(&self) {
        for r in containment::SERVED {
            if let Ok(res) = Resolution::try_from(r) {
                let _ = self.main.exceptions(res);
            }
        }
    }

    /// Builds the main segment's time cubes at `resolutions` (the map's usual ones), so that
    /// the first time-range count there does not pay for them.
    pub fn warm_time_cubes(&self, resolutions: &[Resolution]) {
        for &res in resolutions {
            let _ = self.main.timecube(res);
        }
    }

    /// Heap bytes of the main segment's time cubes built so far.
    #[must_use]
    pub fn time_cube_bytes(&self) -> usize {
        self.main
            .timecubes
            .iter()
            .filter_map(|c| c.get().and_then(Option::as_ref))
            .map(TimeCube::bytes)
            .sum()
    }

    /// The sorted main segment (every coarser H3 cell is a contiguous run of it).
    #[must_use]
    pub fn main(&self) -> &Segment {
        &self.main
    }

    /// Rows written since `main` was built, unsorted.
    #[must_use]
    pub fn delta(&self) -> &Segment {
        &self.delta
    }

    /// Calls `visit(segment, position)` for every incident matching `filter`.
    pub fn for_each(&self, filter: &Filter, mut visit: impl FnMut(&Segment, usize)) {
        for seg in [&*self.main, &*self.delta] {
            Self::for_each_in_segment(seg, filter, &mut visit);
        }
    }

    /// Calls `visit(segment, row, k)` for every incident matching `filter` whose containing
    /// cell at `res` is `cells[k]` (raw bits, sorted, no duplicates), and for no other: in
    /// the cell-sorted main segment each cell's rows are one run found by two binary
    /// searches (its listed exceptions skipped, the exceptions it contains merged in by
    /// cell), so a few hot cells cost a fraction of a pass. Rows come in no useful order.
    pub fn for_each_in_cells(
        &self,
        filter: &Filter,
        res: Resolution,
        cells: &[u64],
        mut visit: impl FnMut(&Segment, usize, usize),
    ) {
        let main = &*self.main;
        let matches = |seg: &Segment, i: usize| {
            filter
                .bbox
                .as_ref()
                .is_none_or(|b| b.contains(seg.lon[i], seg.lat[i]))
                && filter.matches_attrs(seg, i)
        };
        if let Some(e) = main.exceptions(res) {
            for (k, &c) in cells.iter().enumerate() {
                let run = containment::descendants15(c);
                let start = main.cell.partition_point(|x| u64::from(*x) < *run.start());
                let end =
                    start + main.cell[start..].partition_point(|x| u64::from(*x) <= *run.end());
                for i in start..end {
                    if !e.is_listed(i) && matches(main, i) {
                        visit(main, i, k);
                    }
                }
            }
            let mut k = 0;
            for (cell, i) in e.rows_by_cell() {
                while k < cells.len() && cells[k] < cell {
                    k += 1;
                }
                if k == cells.len() {
                    break;
                }
                if cells[k] == cell && matches(main, i) {
                    visit(main, i, k);
                }
            }
        } else {
            // A resolution the API does not serve: no exceptions list, so a pass.
            Self::for_each_in_segment(main, filter, |seg, i| {
                if let Ok(k) = cells.binary_search(&seg.containing_cell(i, res)) {
                    visit(seg, i, k);
                }
            });
        }
        Self::for_each_in_segment(&self.delta, filter, |seg, i| {
            if let Ok(k) = cells.binary_search(&seg.containing_cell(i, res)) {
                visit(seg, i, k);
            }
        });
    }

    /// As [`Self::for_each`], over one segment.
    pub fn for_each_in_segment(
        seg: &Segment,
        filter: &Filter,
        mut visit: impl FnMut(&Segment, usize),
    ) {
        seg.for_each_in_bbox(filter.bbox.as_ref(), |i| {
            if filter.matches_attrs(seg, i) {
                visit(seg, i);
            }
        });
    }

    /// How many incidents match, and the ids of the first `limit` of them above `after_id`
    /// in id order (a page of a listing). O(n log limit), no full sort.
    #[must_use]
    pub fn page(&self, filter: &Filter, after_id: Option<i64>, limit: usize) -> (usize, Vec<i64>) {
        let mut matched = 0;
        let mut heap = BinaryHeap::with_capacity(limit + 1);
        self.for_each(filter, |seg, i| {
            matched += 1;
            let id = seg.id[i];
            if after_id.is_some_and(|a| id <= a) || limit == 0 {
                return;
            }
            if heap.len() < limit {
                heap.push(id);
            } else if heap.peek().is_some_and(|&top| id < top) {
                heap.pop();
                heap.push(id);
            }
        });
        (matched, heap.into_sorted_vec())
    }

    /// Every row, in id order: what tests compare against the database.
    #[must_use]
    pub fn rows_by_id(&self) -> Vec<(IncidentRow, String)> {
        let mut out: Vec<(IncidentRow, String)> = Vec::with_capacity(self.len());
        for seg in [&*self.main, &*self.delta] {
            for i in 0..seg.len() {
                let r = seg.row(i);
                out.push((r, self.categories.code(r.category).to_owned()));
            }
        }
        out.sort_unstable_by_key(|(r, _)| r.id);
        out
    }

    /// The time span and bounding box of every incident held, or `None` when there are
    /// none. One pass over the four columns (about a millisecond per million rows), so it
    /// is computed on request rather than kept with every snapshot.
    #[must_use]
    pub fn extent(&self) -> Option<Extent> {
        let mut out: Option<Extent> = None;
        for seg in [&*self.main, &*self.delta] {
            for i in 0..seg.len() {
                let (t, lon, lat) = (seg.time[i], seg.lon[i], seg.lat[i]);
                let e = out.get_or_insert(Extent {
                    count: 0,
                    first: t,
                    last: t,
                    bbox: [lon, lat, lon, lat],
                });
                e.count += 1;
                e.first = e.first.min(t);
                e.last = e.last.max(t);
                e.bbox = [
                    e.bbox[0].min(lon),
                    e.bbox[1].min(lat),
                    e.bbox[2].max(lon),
                    e.bbox[3].max(lat),
                ];
            }
        }
        out
    }

    /// Heap bytes held by this version (columns, trees and the interner).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.main.heap_bytes() + self.delta.heap_bytes() + self.categories.len() * 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(id: i64, lon: f64, lat: f64, t: i64, cat: usize, sev: u8) -> IncidentRow {
        let ll = crate::domain::LonLat::new(lon, lat).unwrap();
        IncidentRow {
            id,
            occurred_at: t,
            category: CategoryRef::at(cat),
            severity: Severity::from_code(sev),
            solved: id % 3 == 0,
            lon,
            lat,
            cell: ll.cell15(),
            key: crate::index::rows::derived_key(id),
        }
    }

    fn codes() -> [&'static str; 3] {
        ["theft", "fraud", "drugs"]
    }

    fn scanned(rows: &[IncidentRow]) -> Scanned {
        Scanned {
            rows: rows.to_vec(),
            categories: codes().iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn build(rows: &[IncidentRow]) -> IncidentIndex {
        IncidentIndex::build(scanned(rows))
    }

    fn linear(rows: &[IncidentRow], f: &Filter, interner: &Interner) -> Vec<i64> {
        let mut ids: Vec<i64> = rows
            .iter()
            .filter(|r| {
                let cat = interner.get(codes()[r.category.index()]).unwrap();
                f.bbox.is_none_or(|b| b.contains(r.lon, r.lat))
                    && f.from.is_none_or(|x| r.occurred_at >= x)
                    && f.to.is_none_or(|x| r.occurred_at < x)
                    && f.categories.as_ref().is_none_or(|c| c.contains(&cat))
                    && f.severities.is_none_or(|m| m.contains(r.severity))
            })
            .map(|r| r.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    prop_compose! {
        fn arb_rows()(pts in prop::collection::vec((106.6f64..106.8, 10.7f64..10.9, 0i64..1000, 0usize..3, 0u8..4), 0..600)) -> Vec<IncidentRow> {
            pts.into_iter().enumerate().map(|(i, (lon, lat, t, c, s))| row(i64::try_from(i).unwrap() + 1, lon, lat, t, c, s)).collect()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Index queries equal a linear scan, whether rows came in one build or appended.
        #[test]
        fn queries_equal_linear_scan(rows in arb_rows(), split in 0usize..600,
            b in (106.6f64..106.8, 10.7f64..10.9, 0.0f64..0.2, 0.0f64..0.2),
            from in prop::option::of(0i64..1000), cats in prop::option::of(prop::collection::vec(0u16..3, 0..3)),
            sev in prop::option::of(0u8..16), after in prop::option::of(0i64..600), limit in 0usize..50) {
            let split = split.min(rows.len());
            let base = build(&rows[..split]);
            let idx = base.with_appended(&scanned(&rows[split..]));
            let bbox = BBox::new(b.0, b.1, b.0 + b.2, b.1 + b.3).unwrap();
            let categories = cats.map(|c| c.iter().filter_map(|&i| idx.categories().get(codes()[usize::from(i)])).collect());
            let severities = sev.map(|m: u8| Severity::ALL.into_iter().filter(|s| m & (1 << s.code()) != 0).collect());
            let f = Filter { bbox: Some(bbox), from, to: from.map(|x| x + 300), categories, severities, within: None };
            let expected = linear(&rows, &f, idx.categories());
            let (n, page) = idx.page(&f, after, limit);
            prop_assert_eq!(n, expected.len());
            let want: Vec<i64> = expected.iter().copied().filter(|&id| after.is_none_or(|a| id > a)).take(limit).collect();
            prop_assert_eq!(page, want);
            // The extent covers main and delta alike.
            let want_extent = (!rows.is_empty()).then(|| {
                let fold = |f: fn(f64, f64) -> f64, g: fn(&IncidentRow) -> f64| rows.iter().map(g).reduce(f).unwrap_or(0.0);
                Extent {
                    count: rows.len(),
                    first: rows.iter().map(|r| r.occurred_at).min().unwrap_or(0),
                    last: rows.iter().map(|r| r.occurred_at).max().unwrap_or(0),
                    bbox: [fold(f64::min, |r| r.lon), fold(f64::min, |r| r.lat), fold(f64::max, |r| r.lon), fold(f64::max, |r| r.lat)],
                }
            });
            prop_assert_eq!(idx.extent(), want_extent);
            // The whole index, row for row, equals a fresh build of all rows.
            let fresh = build(&rows);
            prop_assert_eq!(idx.rows_by_id(), fresh.rows_by_id());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The rows of some cells equal a linear scan that asks h3 for each row's cell.
        #[test]
        fn rows_of_cells_equal_linear_scan(rows in arb_rows(), split in 0usize..600,
            res in 7u8..=10, pick in 1usize..4, from in prop::option::of(0i64..1000),
            sev in prop::option::of(0u8..16)) {
            let res = Resolution::try_from(res).unwrap();
            let split = split.min(rows.len());
            let idx = build(&rows[..split]).with_appended(&scanned(&rows[split..]));
            let cell_of = |r: &IncidentRow| {
                u64::from(h3o::LatLng::new(r.lat, r.lon).unwrap().to_cell(res))
            };
            let mut all: Vec<u64> = rows.iter().map(cell_of).collect();
            all.sort_unstable();
            all.dedup();
            // Every `pick`-th occupied cell, and one cell with no rows.
            let mut cells: Vec<u64> = all.iter().copied().step_by(pick).collect();
            cells.push(u64::from(h3o::LatLng::new(0.0, 0.0).unwrap().to_cell(res)));
            cells.sort_unstable();
            let severities = sev.map(|m: u8| Severity::ALL.into_iter().filter(|s| m & (1 << s.code()) != 0).collect());
            let f = Filter { from, to: from.map(|x| x + 300), severities, ..Filter::default() };
            let mut want: Vec<(i64, u64)> = rows
                .iter()
                .filter(|r| {
                    f.from.is_none_or(|x| r.occurred_at >= x)
                        && f.to.is_none_or(|x| r.occurred_at < x)
                        && f.severities.is_none_or(|m| m.contains(r.severity))
                        && cells.binary_search(&cell_of(r)).is_ok()
                })
                .map(|r| (r.id, cell_of(r)))
                .collect();
            want.sort_unstable();
            let mut got = Vec::new();
            idx.for_each_in_cells(&f, res, &cells, |seg, i, k| got.push((seg.id[i], cells[k])));
            got.sort_unstable();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn from_records_numbers_the_records_in_order() {
        let record = |category: &str, lon: f64| {
            crate::domain::NewIncident::new(
                None,
                10,
                category.to_owned(),
                Severity::Serious,
                true,
                crate::domain::LonLat::new(lon, 10.8).unwrap(),
                None,
                None,
            )
        };
        let records = [
            record("fraud", 106.7),
            record("theft", 106.71),
            record("fraud", 106.72),
        ];
        let idx = IncidentIndex::from_records(&records);
        let rows = idx.rows_by_id();
        let seen: Vec<(i64, &str, f64)> = rows
            .iter()
            .map(|(r, c)| (r.id, c.as_str(), r.lon))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "fraud", 106.7),
                (2, "theft", 106.71),
                (3, "fraud", 106.72)
            ]
        );
        assert!(
            rows.iter()
                .zip(&records)
                .all(|((r, _), n)| r.cell == n.cell && r.severity == Severity::Serious && r.solved)
        );
        assert_eq!(idx.max_id(), 3);
    }

    #[test]
    fn main_is_sorted_by_cell_and_merges() {
        let rows: Vec<_> = (0..3000)
            .map(|i| {
                row(
                    i + 1,
                    106.6 + f64::from(i32::try_from(i % 97).unwrap()) * 0.001,
                    10.7 + f64::from(i32::try_from(i % 89).unwrap()) * 0.001,
                    i,
                    0,
                    0,
                )
            })
            .collect();
        let idx = build(&rows[..100]);
        let idx = idx.with_appended(&scanned(&rows[100..]));
        assert_eq!(idx.delta().len(), 0, "2,900 rows over a 100-row main merge");
        assert!(idx.main().cell.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(idx.len(), 3000);
        assert_eq!(idx.max_id(), 3000);
    }
}
