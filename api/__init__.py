"""Open interfaces (开放接口): Open311 GeoReport v2, Popolo JSON, calendars, and their OpenAPI description.

A feature app: it reads opinions through workflows and stations and deputies through content,
and nothing below imports it.
"""
