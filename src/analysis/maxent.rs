//! Maximum-entropy transition probabilities for the p-table of the cell-key method (issue 18).
