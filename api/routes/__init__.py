"""The results API routes, one APIRouter module per group (included by create_app in order).

subjects, trials (metadata, metrics, events, curves, points), downloads (exports, reports,
compare) and operator (annotations, re-indexing, jobs). Shared dependencies: mocaplab.api.deps.
"""
