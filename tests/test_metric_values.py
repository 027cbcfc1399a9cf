"""trainlab.metric_values: a float32 metric as the shortest decimal that reads back as the same float32."""

import math

import pytest
import torch

from trainlab.metric_values import metric_number


@pytest.mark.parametrize("value,expected", [
    (0.79, 0.79),  # float(torch.tensor(0.79)) is 0.7900000214576721
    (0.1, 0.1),
    (2.5923457, 2.5923457),
    (3.2174637e-05, 3.2174637e-05),
    (1e-45, 1e-45),  # the smallest float32 subnormal
])
def test_a_float32_metric_reads_with_its_own_digits_and_converts_back_to_the_same_float32(value, expected):
    tensor = torch.tensor(value, dtype=torch.float32)
    assert float(tensor) != expected  # the widened float64 carries invented digits
    number = metric_number(tensor)
    assert number == expected
    assert torch.tensor(number, dtype=torch.float32).item() == tensor.item()  # nothing rounded away
    assert metric_number(float(tensor)) == expected  # a value already widened to a Python float


def test_float64_metrics_are_kept_and_non_finite_values_pass_through():
    assert metric_number(torch.tensor(0.1234567890123, dtype=torch.float64)) == 0.1234567890123
    assert metric_number(torch.tensor(float("inf"))) == math.inf
    assert math.isnan(metric_number(torch.tensor(float("nan"))))
    assert metric_number(torch.tensor(16777217, dtype=torch.int64)) == 16777217.0  # not narrowed to float32


def test_a_half_precision_metric_reads_with_its_own_shortest_digits():
    assert metric_number(torch.tensor(0.1, dtype=torch.float16)) == 0.1  # float(...) is 0.0999755859375
    assert metric_number(torch.tensor(2.296875, dtype=torch.bfloat16)) == 2.296875  # exact in float32
