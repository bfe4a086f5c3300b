//! Local Moran's I (Anselin 1995) on H3 cells: outliers and clusters of values.
