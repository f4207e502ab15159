"""The rate budget shared by every process of a run, and the reader of rate-limit headers."""
from apiconform.http.rate.budget import Budget, budget_for, check_store, collect, configure, flush, problems
from apiconform.http.rate.headers import Reading, read
from apiconform.http.rate.stores import StoreError

__all__ = ["Budget", "Reading", "StoreError", "budget_for", "check_store", "collect", "configure", "flush", "problems",
           "read"]
