//! Rates and changes a committee can defend: the exact test of a change in counts, the rate ratio
//! with its interval, and Empirical-Bayes smoothed rates.
