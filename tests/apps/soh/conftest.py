"""A seeded synthetic fleet and its assessment, shared by the estimator tests (built once per session)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from battrace.apps.soh import fleet, model
from battrace.apps.soh.assess import Assessment, assess
from battrace.apps.soh.series import Readings

# 2 000 batteries x 5 years of monthly readings: large enough that a share measured over the fleet has a
# binomial standard error of at most 1.1 points (sqrt(0.25 / 2000)), small enough to build in well under a
# second.
FLEET_SIZE = 2000


@dataclass(frozen=True, eq=False)
class Case:
    readings: Readings
    truth: fleet.Truth
    result: Assessment

    def true_life(self) -> model.Life:
        """The RUL the true parameters give under the same usage projection the estimator uses, so the
        difference is the fit's error alone."""
        exact = model.Fit(
            self.truth.coef,
            np.zeros((self.truth.a.size, 3, 3)),
            np.zeros(self.truth.a.size),
            np.ones(self.truth.a.size, dtype=bool),
        )
        threshold = self.readings.per_battery("capacity_threshold_for_exhaustion")
        return model.remaining_life(exact, self.result.usage, threshold)


@pytest.fixture(scope="session")
def case() -> Case:
    readings, truth = fleet.generate(FLEET_SIZE, months=60, seed=2026)
    return Case(readings, truth, assess(readings))
