"""Which columns of a study's data identify a respondent.

Study commands (``compare``, ``relate``, ``themes``, ``teams``, ``validate``) keep these
columns out of every analysis and every output. The list is the union of the instrument's
background fields marked ``identifying``, each survey platform's direct identifiers and
respondent ids (:mod:`qimscale.io.platforms`), a few generic names, and the user's own
``--id-cols``.
"""

from __future__ import annotations

from qimscale.errors import QimscaleError

__all__ = ["GENERIC_IDENTIFIERS", "study_identifiers"]

#: Column names that identify a respondent whatever the platform (compared case-insensitively).
GENERIC_IDENTIFIERS = ("name", "first_name", "last_name", "email", "e_mail", "email_address", "phone",
                       "ip_address", "ipaddress", "respondent_id", "record_id", "responseid", "response_id")


def _platform_identifiers() -> set:
    from qimscale.io import platforms

    names: set = {"ResponseId", "ResponseID"}
    for obj in vars(platforms).values():
        if isinstance(obj, type):
            for attr in ("IDENTIFIERS", "ID_COLUMNS"):
                names |= set(getattr(obj, attr, ()))
    return names


def study_identifiers(columns, extra=None, instrument=None) -> list:
    """The identifier columns among ``columns``, in their order.

    Parameters
    ----------
    columns : sequence of str
        The data's columns.
    extra : sequence of str, optional
        Further identifier columns named by the user (``--id-cols``).
    instrument : str or Instrument, optional
        Instrument whose ``identifying`` background fields count (default: the bundled
        QIM instrument). An instrument that cannot be read adds nothing here: the command
        that needs it reports the problem.

    Returns
    -------
    list of str
        Columns that are an instrument's identifying field, a platform's identifier or
        respondent id (Qualtrics ``IPAddress``, Kobo ``_uuid``, ...), a generic name
        (:data:`GENERIC_IDENTIFIERS`, any case) or in ``extra``.

    Examples
    --------
    >>> study_identifiers(["Email", "lead_systems", "IPAddress", "team"], extra=["team"])
    ['Email', 'IPAddress', 'team']
    """
    from qimscale.instrument import load_instrument

    names = _platform_identifiers()
    try:
        inst = load_instrument(instrument)
        names |= {b.id for b in inst.background if getattr(b, "identifying", False)}
    except QimscaleError:
        pass
    generic = set(GENERIC_IDENTIFIERS)
    extra = list(extra or [])
    return [c for c in columns if c in names or str(c).strip().casefold() in generic or c in extra]
