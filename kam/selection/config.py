"""A scoring model's criteria: validation with messages a programme lead can act on, and the default model.

A model's criteria are a list of dicts, stored as JSON on the model and copied into each run:
``{"criterion": "revenue_t12m", "weight": "0.30", "normalisation": "min_max", "direction": "higher",
"bands": []}``. Weights are relative: a score is 100 × Σ (weight / Σ weights) × normalised value, so weights
that add up to 1 (DEFINITIONS §7) or to 100 give the same scores.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from kam.selection.choices import Criterion, Direction, Normalisation

MAX_BANDS = 10

# DEFINITIONS §7: the default selection score.
DEFAULT_CRITERIA = [
    {"criterion": Criterion.REVENUE_T12M, "weight": "0.30"},
    {"criterion": Criterion.GROSS_MARGIN, "weight": "0.20"},
    {"criterion": Criterion.GROWTH_YOY, "weight": "0.20"},
    {"criterion": Criterion.WALLET, "weight": "0.15"},
    {"criterion": Criterion.WALLET_HEADROOM, "weight": "0.15"},
]


def _number(value, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what}: “{value}” is not a number.") from None
    if not number.is_finite():
        raise ValidationError(f"{what}: “{value}” is not a finite number.")
    # 1e999999999 is finite, but written out it is a billion digits: bound the size before anything formats it.
    if number and not -12 <= number.adjusted() <= 15:
        raise ValidationError(f"{what}: “{value}” is out of range (use 10⁻¹² to 10¹⁵).")
    return number


def parse_bands(value) -> list[Decimal]:
    """Band thresholds from a list or from text such as "1000000, 5000000"."""
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [_number(item, "Band threshold") for item in items if str(item).strip() != ""]


def clean_criteria(raw) -> list[dict]:
    """Normalise and check a model's criteria; raises ValidationError with every problem found."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError("Add at least one criterion.")
    cleaned, errors, seen = [], [], set()
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            errors.append(f"Criterion {position}: expected an object with criterion and weight.")
            continue
        key = item.get("criterion")
        if key not in Criterion.values:
            errors.append(f"Criterion {position}: “{key}” is not a known criterion.")
            continue
        label = Criterion(key).label
        if key in seen:
            errors.append(f"{label} appears twice: keep one row per criterion.")
            continue
        seen.add(key)
        try:
            weight = _number(item.get("weight", ""), f"{label}, weight")
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if weight < 0:
            errors.append(f"{label}: the weight must be 0 or more (it is {weight}).")
            continue
        if weight > 1000:
            errors.append(f"{label}: the weight must be at most 1000.")
            continue
        normalisation = item.get("normalisation") or Normalisation.MIN_MAX
        if normalisation not in Normalisation.values:
            errors.append(f"{label}: “{normalisation}” is not a normalisation (min_max, percentile, bands).")
            continue
        direction = item.get("direction") or Direction.HIGHER_IS_BETTER
        if direction not in Direction.values:
            errors.append(f"{label}: the direction must be “higher” or “lower”.")
            continue
        try:
            bands = parse_bands(item.get("bands"))
        except ValidationError as error:
            errors.append(f"{label}: {error.messages[0]}")
            continue
        if normalisation == Normalisation.BANDS:
            if not bands:
                errors.append(f"{label}: banded normalisation needs at least one threshold, e.g. 1000000, 5000000.")
                continue
            if len(bands) > MAX_BANDS:
                errors.append(f"{label}: at most {MAX_BANDS} band thresholds.")
                continue
            out_of_order = [(a, b) for a, b in zip(bands, bands[1:], strict=False) if b <= a]
            if out_of_order:
                a, b = out_of_order[0]
                errors.append(f"{label}: band thresholds must rise; {a} is followed by {b}.")
                continue
        else:
            bands = []
        cleaned.append(
            {
                "criterion": key,
                "weight": format(weight.normalize(), "f"),
                "normalisation": normalisation,
                "direction": direction,
                "bands": [format(b.normalize(), "f") for b in bands],
            }
        )
    if not errors and sum(Decimal(c["weight"]) for c in cleaned) <= 0:
        errors.append("The weights add up to 0: give at least one criterion a positive weight.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def default_criteria() -> list[dict]:
    return clean_criteria([dict(item) for item in DEFAULT_CRITERIA])
