"""Open311 GeoReport v2 (群众意见的开放接口): see api.open311.views."""
