"""Carbon accounting: soil cores, biomass, shellfish harvests, IPCC Tier 1 defaults,
gridded stocks and transitions, uncertainty and value. Pure functions on pandas/xarray."""
