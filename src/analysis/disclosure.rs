//! Disclosure control of public aggregates: the cell-key method (issue 18; see
//! `docs/plans/issue-18.md`).
