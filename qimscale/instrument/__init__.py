"""The QIM competency instrument as data: schema, loading, validation and exports.

The instrument is a YAML file (``instrument/qim-competency.yaml``, bundled with
the package). :func:`load_instrument` parses it into typed models,
:func:`validate_instrument` lists every problem, and
:mod:`qimscale.instrument.exporters` writes survey-platform files (REDCap,
XLSForm, Qualtrics, LimeSurvey), paper forms and a codebook.

This package knows no statistics and imports nothing from ``io``, ``analysis``
or ``cli``.

>>> from qimscale.instrument import load_instrument
>>> inst = load_instrument()
>>> inst.get_scale("lead_systems").domain
'leadership'
"""

from qimscale.instrument.lavaan import lavaan_model
from qimscale.instrument.loader import bundled_path, load_instrument, validate_instrument
from qimscale.instrument.model import (
    FORMS,
    BackgroundField,
    Choice,
    Domain,
    Form,
    Instrument,
    Item,
    ResponseOption,
    ResponseScale,
    Scale,
)
from qimscale.instrument.validation import Problem

__all__ = [
    "FORMS",
    "BackgroundField",
    "Choice",
    "Domain",
    "Form",
    "Instrument",
    "Item",
    "Problem",
    "ResponseOption",
    "ResponseScale",
    "Scale",
    "bundled_path",
    "lavaan_model",
    "load_instrument",
    "validate_instrument",
]
