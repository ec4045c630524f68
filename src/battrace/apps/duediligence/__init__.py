"""Supply-chain due diligence (Reg. (EU) 2023/1542 Art. 47-52, Annex X; OECD Due Diligence Guidance).

Declarations in the shape of the RMI CMRT/EMRT templates (model, workbook), exchanged per designated
recipient (disclosure), with evidence by hash (evidence), a configurable CAHRA list (cahra), computed results
(metrics), the roll-up across tiers (rollup), passport values (passport) and an SVG chart (chart).
"""
