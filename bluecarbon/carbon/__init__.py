"""Carbon accounting: pure functions on pandas/xarray.

Two parts with one boundary. The survey chain lives here: soil cores (:mod:`~.cores`), strata
and representativeness, biomass and shellfish harvests, the conservative figures, stocks and
totals of a site, uncertainty, credits and zonal sums. The InVEST-style transition engine
(tables, kernel, block engine, writer) is the subpackage :mod:`bluecarbon.carbon.transitions`:
the survey chain hands it class parameters and reads back its trajectory histograms.
"""
