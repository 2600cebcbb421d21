"""Yearly points reports (年度履职积分): filled in by the totals work."""
