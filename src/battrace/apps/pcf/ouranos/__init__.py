"""Ouranos-compatible data-transaction API (issue 6 item 6; notes §4.2-§4.4): the published
"データ連携基盤 API" 3.0.0 over battrace's CFP roll-up engine, so a Japanese supplier can work
the way Ouranos users do.

``OuranosService`` (service) holds the rules, ``ouranos_router(service, auth=...)`` (http) the wire format,
``MemoryStore`` (store) and ``MemoryAuthenticator`` (auth) the in-memory backing for this slice.
"""
