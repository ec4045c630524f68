"""Collection and recycling (Regulation (EU) 2023/1542 Art. 8, 59-61, 71, Annex XI, Annex XII).

``events`` records who did what to a battery or lot (placed on market -> collected -> delivered ->
dismantled -> shredded -> refined -> sold); ``massbalance`` is the gate every recorded row passes (state
machine and mass balance, all or nothing); ``rates`` computes collection rates, recycling efficiency and
material recovery against the targets; ``recycled_content`` the Art. 8 shares a passport carries; ``loop``
traces a recycled battery's element into a new model's recycled-content claim; ``chart`` draws the rates.
"""
