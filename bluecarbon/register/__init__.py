"""The sink-rights register and the finance products around it.

* :mod:`~bluecarbon.register.units`: register units (1 kg CO2e) and serial numbers;
* :mod:`~bluecarbon.register.state`: the pure state machine every balance is replayed from;
* :mod:`~bluecarbon.register.book`: the register of a store (issue, pledge, unpledge, enforce,
  transfer, retire, show, verify), an append-only, hash-chained, anchored ledger;
* :mod:`~bluecarbon.register.alerts`: post-loan monitoring of pledged parcels after each release;
* :mod:`~bluecarbon.register.insurance`: index insurance policies evaluated on a release.
"""

from bluecarbon.register.book import DEFAULT_HOLDER, REGISTER_TABLE, RegisterCheck, SinkRegister
from bluecarbon.register.units import Period, SerialRange

__all__ = ["DEFAULT_HOLDER", "REGISTER_TABLE", "Period", "RegisterCheck", "SerialRange", "SinkRegister"]
