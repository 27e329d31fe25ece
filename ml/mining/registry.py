"""The algorithm registry: recipe `algorithm:` names → Algorithm objects.

Every entry is callable as `ALGORITHMS[name](df, columns, params) -> {output name: DataFrame}` and
carries its column roles (`.roles`), parameter spec (`.params`) and outputs (`.outputs`).
"""

from __future__ import annotations

from ml.mining import anomalies, baskets, changepoints, clustering, clv, cohorts, pca, recommend, rfm, tree_rules
from ml.mining.spec import Algorithm, Param

_ALL: tuple[Algorithm, ...] = (
    rfm.ALGORITHM,
    clustering.KMEANS,
    clustering.HDBSCAN_ALG,
    clustering.GMM,
    clustering.AGGLOMERATIVE,
    baskets.ALGORITHM,
    anomalies.ALGORITHM,
    changepoints.ALGORITHM,
    pca.ALGORITHM,
    tree_rules.ALGORITHM,
    clv.ALGORITHM,
    cohorts.RETENTION,
    cohorts.FUNNEL,
    recommend.ALGORITHM,
)

ALGORITHMS: dict[str, Algorithm] = {a.name: a for a in _ALL}
if len(ALGORITHMS) != len(_ALL):
    raise RuntimeError("two mining algorithms share a name")

PARAM_SPECS: dict[str, tuple[Param, ...]] = {name: alg.params for name, alg in ALGORITHMS.items()}


def describe(name: str) -> str:
    """Plain-text reference of one algorithm: roles, parameters, outputs (used by the CLI)."""
    alg = ALGORITHMS[name]
    lines = [f"{alg.name}: {alg.summary}", "  columns:"]
    for r in alg.roles:
        kind = "list of columns" if r.multiple else "column"
        lines.append(f"    {r.name} ({kind}, {'required' if r.required else 'optional'}): {r.description}")
    lines.append("  params:")
    for p in alg.params:
        default = "required" if p.required else f"default {p.default!r}"
        extra = f", one of {list(p.choices)}" if p.choices else ""
        lines.append(f"    {p.name} ({p.type}{', nullable' if p.nullable else ''}, {default}{extra}): {p.description}")
    lines.append("  outputs:")
    for o in alg.outputs:
        lines.append(f"    {o.name}: {o.description}")
    return "\n".join(lines)
