"""Habitat extent: spectral indices, rule-based and random-forest classification, survey
polygons, and accuracy assessment with area-adjusted estimates (Olofsson et al. 2014)."""
