"""A custom Great Expectations expectation: department names are clean.

GX's UnexpectedRowsExpectation does not run on pandas, so row-level checks that need the
pipeline's own lexicon get a small map expectation. Importing this module registers it as
`expect_column_values_to_be_clean_department_names`.
"""

from __future__ import annotations

from typing import ClassVar

from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import ColumnMapMetricProvider, column_condition_partial

from ..normalize.departments import department_name_problem


class ColumnValuesCleanDepartmentName(ColumnMapMetricProvider):
    condition_metric_name = "column_values.clean_department_name"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return column.map(lambda v: department_name_problem(str(v)) is None)


class ExpectColumnValuesToBeCleanDepartmentNames(ColumnMapExpectation):
    """No whitespace, punctuation, role words (负责, 牵头 …) or trailing 等 left in a name, and
    no name that is only an ending (局, 管理局, 单位, 分行)."""

    map_metric: ClassVar[str] = "column_values.clean_department_name"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
