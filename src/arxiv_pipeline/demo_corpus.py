"""Synthetic demo corpus in the layout of the Kaggle arXiv metadata snapshot.

The pipelines need a corpus that runs offline in minutes and still has structure for a
topic model and a multi-label classifier to find. This module plants that structure:
every category owns a vocabulary of domain terms, an abstract is built mostly from its
primary category's terms, partly from its secondary categories' terms and partly from
filler shared by all categories. Secondary labels come from each category's neighbours,
a few of them arXiv aliases or retired archive names so that category canonicalisation
has work to do.

Records follow ``arxiv-metadata-oai-snapshot.json`` exactly: one JSON object per line
with the snapshot's 14 keys in its order, titles and abstracts hard-wrapped as arXiv
stores them, RFC 2822 version dates and ``[last, first, suffix]`` parsed authors.

All draws come from one seeded generator, so a seed and a size always give the same
bytes. Run ``python -m arxiv_pipeline.demo_corpus OUT.jsonl --papers N --seed S``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, TypeVar

DEMO_FILENAME = "arxiv-demo-synthetic.jsonl"

_T = TypeVar("_T")

# Large enough for any demo; keeps five-digit new-style ids within a month's range.
_MAX_PAPERS = 1_000_000
_DEFAULT_PAPERS = 3000

# arXiv's new-style ids have five digits after the dot from January 2015 on.
_NEW_STYLE_START = datetime(2015, 1, 1)
_NEW_STYLE_END = datetime(2025, 1, 1)
_NEW_STYLE_MONTHS = 120
# A month's sequence numbers stay below this, leaving headroom under 99999.
_MONTHLY_NUMBER_BUDGET = 90_000
_MAX_ID_GAP = 800
# Old-style ids ("hep-th/9901001"): a small share, dated before the 2007 switch.
_OLD_STYLE_SHARE = 0.02
_OLD_STYLE_START = datetime(1998, 1, 1)
_OLD_STYLE_END = datetime(2007, 1, 1)

_MULTI_LABEL_SHARE = 0.35
_THREE_LABEL_SHARE = 0.3  # among multi-label papers
# Where each topic term of an abstract comes from.
_SECONDARY_TERM_SHARE = 0.25
_OFF_TOPIC_TERM_SHARE = 0.1

_MIN_ABSTRACT_WORDS = 60
_MAX_ABSTRACT_WORDS = 180
# arXiv wraps abstracts to lines of at most 79 characters, titles to about 72.
_ABSTRACT_WIDTH = 79
_TITLE_WIDTH = 72

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Category:
    """A primary category: its planted vocabulary and how its papers look."""

    name: str
    weight: float  # relative share of papers with this primary category
    venue: str  # key into _VENUES
    old_archive: str | None  # archive of old-style ids, None where it had none
    related: tuple[str, ...]  # candidates for secondary labels
    vocabulary: tuple[str, ...]


_PRIMARIES: tuple[_Category, ...] = (
    _Category(
        "hep-th", 1.6, "hep", "hep-th",
        ("hep-ph", "gr-qc", "math-ph", "alg-geom", "q-alg", "cond-mat.str-el"),
        (
            "string theory", "AdS/CFT correspondence", "conformal field theory",
            "black hole entropy", "holographic entanglement entropy",
            "supersymmetric gauge theory", "Calabi-Yau compactification", "D-branes",
            "M-theory", "scattering amplitudes", r"$\mathcal{N}=4$ super Yang-Mills",
            "Wilson loops", "worldsheet", "moduli space", "anomaly inflow",
            "topological field theory", "Chern-Simons theory", "dualities",
            "boundary CFT", "bulk reconstruction", "higher-spin gravity",
            "swampland conjectures", "flux compactifications", "central charge",
            "conformal bootstrap", "operator product expansion", "instantons",
            "Virasoro algebra", "holographic renormalization", "JT gravity",
        ),
    ),
    _Category(
        "hep-ph", 1.6, "hep", "hep-ph",
        ("hep-ex", "hep-th", "astro-ph.CO", "nucl-th", "astro-ph.HE"),
        (
            "Higgs boson", "LHC", "parton distribution functions",
            "dark matter candidates", "neutrino oscillations", "QCD corrections",
            "next-to-leading order", "electroweak symmetry breaking", "Standard Model",
            "top quark", "B meson decays", "lepton flavour violation",
            "collider signatures", r"$\sqrt{s} = 13$ TeV", "effective field theory",
            "axion", "sterile neutrinos", "jet substructure", "CKM matrix",
            "hadronic cross sections", "gluon fusion", "quark masses",
            "heavy quarkonium", "baryogenesis", "supersymmetric partners",
            "Drell-Yan production", "muon anomalous magnetic moment",
            "Wilson coefficients", "resummation", "vector boson fusion",
        ),
    ),
    _Category(
        "astro-ph.CO", 1.4, "astro", None,
        ("astro-ph.GA", "gr-qc", "hep-ph", "astro-ph.HE"),
        (
            "cosmic microwave background", "dark energy", "baryon acoustic oscillations",
            r"$\Lambda$CDM", "Hubble constant", "large-scale structure", "inflation",
            "primordial non-Gaussianity", "weak lensing", "galaxy clustering",
            "matter power spectrum", "redshift-space distortions", "reionization",
            "21-cm signal", "N-body simulations", "cosmological parameters",
            "Planck data", "$S_8$ tension", "halo mass function", "cosmic shear",
            "scalar field dark energy", "tensor-to-scalar ratio", "galaxy surveys",
            "Sunyaev-Zel'dovich effect", "modified gravity", "primordial black holes",
            "dark matter halos", "photometric redshifts", "cosmological constant",
            "void statistics",
        ),
    ),
    _Category(
        "astro-ph.SR", 1.0, "astro", None,
        ("astro-ph.GA", "astro-ph.EP", "astro-ph.HE"),
        (
            "stellar evolution", "red giants", "asteroseismology", "solar flares",
            "coronal mass ejections", "main-sequence stars", "stellar winds",
            "binary stars", "white dwarfs", "convective envelope", "magnetic activity",
            "photosphere", "chromosphere", "stellar rotation", "spectroscopic survey",
            "mass loss", "Wolf-Rayet stars", "supergiants", "light curves", "sunspots",
            "solar dynamo", "eclipsing binaries", "metallicity", "effective temperature",
            "p-mode oscillations", "pre-main-sequence stars", "nucleosynthesis",
            "helioseismology", "stellar atmospheres", "radiative transfer",
        ),
    ),
    _Category(
        "quant-ph", 1.5, "quant", "quant-ph",
        ("cond-mat.mes-hall", "physics.optics", "math.MP", "math.IT", "cond-mat.str-el"),
        (
            "quantum entanglement", "qubits", "quantum error correction",
            "quantum circuits", "decoherence", "Bell inequalities",
            "quantum key distribution", "quantum teleportation",
            "variational quantum eigensolver", "quantum annealing",
            "open quantum systems", "Lindblad master equation", "entanglement witness",
            "quantum channels", "trapped ions", "superconducting qubits",
            "quantum metrology", "quantum walks", "gate fidelity", "quantum speedup",
            "photonic quantum computing", "quantum discord", "stabilizer codes",
            "measurement-based quantum computation", "quantum advantage", "cavity QED",
            "squeezed states", "quantum state tomography", "NISQ devices",
            "Rabi oscillations",
        ),
    ),
    _Category(
        "cond-mat.supr-con", 0.8, "cond-mat", "cond-mat",
        ("cond-mat.str-el", "cond-mat.mes-hall", "cond-mat.mtrl-sci", "quant-ph"),
        (
            "superconductivity", "Cooper pairs", "critical temperature $T_c$",
            "cuprates", "iron-based superconductors", "pairing symmetry", "d-wave gap",
            "Josephson junctions", "vortex lattice", "Meissner effect", "BCS theory",
            "Eliashberg theory", "electron-phonon coupling", "pseudogap",
            "upper critical field", "London penetration depth", "unconventional pairing",
            "spin fluctuations", "nematic order", "charge density wave",
            "topological superconductors", "Majorana zero modes",
            "hydride superconductors under pressure", "specific heat jump",
            "Andreev reflection", "superfluid density", "flux pinning",
            "Ginzburg-Landau theory", "infinite-layer nickelates",
            "heavy fermion superconductors",
        ),
    ),
    _Category(
        "cond-mat.stat-mech", 1.0, "cond-mat", "cond-mat",
        ("cond-mat.dis-nn", "chao-dyn", "math-ph", "physics.soc-ph", "math.PR"),
        (
            "phase transitions", "critical exponents", "Ising model",
            "renormalization group", "Monte Carlo sampling", "partition function",
            "nonequilibrium steady states", "fluctuation theorems",
            "entropy production", "Langevin dynamics", "random walks", "percolation",
            "universality classes", "Fokker-Planck equation", "exclusion process",
            "spin glasses", "mean-field theory", "correlation length",
            "stochastic thermodynamics", "active matter", "jamming transition",
            "large deviation function", "Kardar-Parisi-Zhang equation",
            "detailed balance", "Glauber dynamics", "finite-size scaling",
            "free energy landscape", "kinetic Ising model", "thermalization",
            "Brownian motion",
        ),
    ),
    _Category(
        "math.CO", 1.1, "math", "math",
        ("cs.DM", "math.PR", "cs.DS", "math.NT"),
        (
            "graph coloring", "chromatic number", "Ramsey numbers",
            "extremal graph theory", "hypergraphs", "Turán problems",
            "permutation patterns", "Young tableaux", "matroids", "generating functions",
            "bijective proofs", "random graphs", "perfect matchings",
            "Hamiltonian cycles", "posets", "Latin squares", "combinatorial designs",
            "integer partitions", "Catalan numbers", "spanning trees", "planar graphs",
            "Szemerédi regularity lemma", "additive combinatorics", "graph minors",
            "independent sets", "symmetric functions", "lattice paths",
            "the probabilistic method", "edge-colourings", "combinatorial identities",
        ),
    ),
    _Category(
        "math.AG", 0.9, "math", "math",
        ("math.NT", "math.DG", "hep-th", "q-alg", "math.CO"),
        (
            "algebraic varieties", "moduli spaces of curves", "Hodge theory",
            "sheaf cohomology", "derived categories", "birational geometry",
            "Calabi-Yau threefolds", "toric varieties", "intersection theory",
            "Chow groups", "Gromov-Witten invariants", "minimal model program",
            "K3 surfaces", "vector bundles", "algebraic stacks", "étale cohomology",
            "Fano varieties", "abelian varieties", "Hilbert schemes", "mirror symmetry",
            "tropical geometry", "singularities", "Picard group", "ample line bundles",
            "projective space", "blow-ups", "Riemann-Roch theorem", "motives",
            "Bridgeland stability conditions", "Deligne-Mumford compactification",
        ),
    ),
    _Category(
        "math.PR", 1.0, "math", "math",
        ("stat.TH", "funct-an", "cond-mat.stat-mech", "math.AP", "math.CO"),
        (
            "martingales", "stochastic differential equations", "random matrices",
            "large deviations", "Markov chains", "mixing times", "Gaussian processes",
            "branching processes", "random walks in random environment",
            "stochastic calculus", "local limit theorem", "central limit theorem",
            "concentration inequalities", "Lévy processes", "Poisson point processes",
            "ergodic theory", "coupling arguments", "stationary distribution",
            "hitting times", "Schramm-Loewner evolution", "interacting particle systems",
            "Malliavin calculus", "heat kernel", "law of large numbers", "tail bounds",
            "random trees", "invariant measures", "exchangeable sequences",
            "Gaussian free field", "Brownian motion",
        ),
    ),
    _Category(
        "cs.LG", 2.0, "cs", "cs",
        ("stat.ML", "cs.AI", "cs.CV", "math.OC", "cs.SY"),
        (
            "deep neural networks", "stochastic gradient descent", "generalization bounds",
            "reinforcement learning", "policy gradient", "representation learning",
            "self-supervised learning", "graph neural networks", "transformers",
            "overparameterization", "federated learning", "adversarial examples",
            "meta-learning", "contrastive learning", "variational autoencoders",
            "diffusion models", "hyperparameter optimization", "benchmark datasets",
            "training loss", "weight decay", "few-shot learning", "continual learning",
            "offline reinforcement learning", "Bayesian optimization",
            "knowledge distillation", "neural tangent kernel",
            "out-of-distribution generalization", "attention mechanism",
            "gradient clipping", "model compression",
        ),
    ),
    _Category(
        "cs.CL", 1.2, "cs", "cs",
        ("cs.LG", "cs.AI", "cs.IR"),
        (
            "language models", "machine translation", "named entity recognition",
            "sentiment analysis", "question answering", "word embeddings",
            "pretrained transformers", "BERT", "text classification",
            "dependency parsing", "low-resource languages", "summarization",
            "dialogue systems", "tokenization", "multilingual corpora",
            "in-context learning", "instruction tuning", "hallucination", "BLEU score",
            "annotated corpus", "coreference resolution", "speech recognition",
            "part-of-speech tagging", "prompting", "natural language inference",
            "retrieval-augmented generation", "semantic parsing",
            "reading comprehension", "cross-lingual transfer", "text generation",
        ),
    ),
    _Category(
        "cs.CV", 1.5, "cs", "cs",
        ("cs.LG", "eess.IV", "cs.AI", "cs.RO"),
        (
            "image classification", "object detection", "semantic segmentation",
            "convolutional neural networks", "vision transformers", "image generation",
            "3D reconstruction", "point clouds", "optical flow", "pose estimation",
            "video understanding", "ImageNet", "COCO benchmark", "feature maps",
            "data augmentation", "monocular depth estimation", "image super-resolution",
            "instance segmentation", "neural radiance fields",
            "visual question answering", "face recognition", "domain adaptation",
            "bounding boxes", "self-supervised visual pretraining",
            "medical image segmentation", "action recognition", "image retrieval",
            "stereo matching", "multi-view geometry", "visual anomaly detection",
        ),
    ),
    _Category(
        "q-bio.NC", 0.6, "q-bio", None,
        ("q-bio.QM", "cs.NE", "physics.bio-ph", "chao-dyn"),
        (
            "neural circuits", "spiking neurons", "synaptic plasticity",
            "cortical dynamics", "hippocampus", "place cells", "working memory",
            "neural coding", "firing rates", "fMRI", "EEG recordings",
            "dendritic integration", "visual cortex", "connectome", "neurotransmitters",
            "action potentials", "perceptual decision making", "predictive coding",
            "excitatory-inhibitory balance", "grid cells", "recurrent neural dynamics",
            "neuronal avalanches", "calcium imaging", "motor cortex", "brain networks",
            "Hodgkin-Huxley model", "spike-timing-dependent plasticity",
            "attractor networks", "sensory processing", "neural population activity",
        ),
    ),
    _Category(
        "stat.ME", 0.8, "stat", None,
        ("stat.TH", "stat.AP", "stat.ML", "stat.CO", "econ.EM"),
        (
            "causal inference", "propensity scores", "missing data",
            "multiple imputation", "Bayesian hierarchical models", "variable selection",
            "high-dimensional regression", "false discovery rate", "bootstrap",
            "survival analysis", "Cox proportional hazards model",
            "instrumental variables", "randomized trials", "mixed-effects models",
            "nonparametric estimation", "confidence intervals", "hypothesis testing",
            "MCMC", "spatial statistics", "functional data", "sensitivity analysis",
            "average treatment effects", "longitudinal data", "Lasso", "empirical Bayes",
            "doubly robust estimation", "sample size calculation", "copulas",
            "quantile regression", "model selection",
        ),
    ),
    _Category(
        "econ.EM", 0.5, "econ", None,
        ("stat.ME", "stat.AP", "q-fin.ST", "q-fin.EC"),
        (
            "panel data", "difference-in-differences", "instrumental variable estimation",
            "GMM estimators", "time series econometrics", "cointegration",
            "structural models", "treatment effect heterogeneity",
            "regression discontinuity", "synthetic control", "demand estimation",
            "asymptotic normality", "heteroskedasticity", "weak instruments",
            "macroeconomic forecasting", "vector autoregressions", "labor market",
            "policy evaluation", "fixed effects", "clustered standard errors",
            "nonlinear panel models", "identification", "quantile treatment effects",
            "discrete choice models", "bootstrap inference", "local projections",
            "structural breaks", "high-frequency data", "inflation expectations",
            "partial identification",
        ),
    ),
)

# Canonical categories that occur only as secondary labels; a smaller vocabulary each.
_SECONDARY_VOCABULARY: dict[str, tuple[str, ...]] = {
    "gr-qc": (
        "general relativity", "gravitational waves", "black hole mergers",
        "Kerr spacetime", "quasinormal modes", "loop quantum gravity",
        "Einstein equations", "numerical relativity",
    ),
    "math-ph": (
        "integrable systems", "spectral theory", "rigorous bounds",
        "Schrödinger operators", "Lie algebras", "symplectic structure",
        "exact solutions", "operator algebras",
    ),
    "math.QA": (
        "quantum groups", "Hopf algebras", "braided tensor categories",
        "vertex operator algebras", "R-matrices", "Yangians", "quantum affine algebras",
        "categorification",
    ),
    "math.NT": (
        "modular forms", "L-functions", "elliptic curves", "Galois representations",
        "prime numbers", "Diophantine equations", "class groups", "zeta functions",
    ),
    "math.DG": (
        "Riemannian manifolds", "Ricci flow", "curvature bounds", "minimal surfaces",
        "Kähler metrics", "geodesics", "symplectic manifolds", "harmonic maps",
    ),
    "math.FA": (
        "Banach spaces", "Hilbert spaces", "bounded operators", "functional inequalities",
        "Sobolev spaces", "spectral measures", "C*-algebras", "compact operators",
    ),
    "math.AP": (
        "elliptic equations", "Navier-Stokes equations", "well-posedness",
        "weak solutions", "regularity theory", "nonlinear Schrödinger equation",
        "finite-time blow-up", "Sobolev estimates",
    ),
    "math.ST": (
        "minimax rates", "asymptotic efficiency", "consistent estimators",
        "empirical processes", "posterior contraction", "sparse estimation",
        "convergence rates", "semiparametric efficiency",
    ),
    "math.OC": (
        "convex optimization", "gradient methods", "optimal control",
        "convergence guarantees", "saddle point problems", "proximal algorithms",
        "stochastic optimization", "linear programming",
    ),
    "hep-ex": (
        "ATLAS detector", "CMS experiment", "integrated luminosity", "trigger efficiency",
        "event selection", "systematic uncertainties", "LHCb data",
        "cross-section measurement",
    ),
    "nucl-th": (
        "nuclear matter", "neutron stars", "heavy-ion collisions",
        "nucleon-nucleon interaction", "quark-gluon plasma", "nuclear shell model",
        "nuclear equation of state", "chiral effective field theory",
    ),
    "astro-ph.HE": (
        "gamma-ray bursts", "active galactic nuclei", "cosmic rays", "pulsars",
        "X-ray binaries", "relativistic jets", "fast radio bursts", "neutrino astronomy",
    ),
    "astro-ph.GA": (
        "galaxy formation", "Milky Way", "star formation", "interstellar medium",
        "spiral arms", "galaxy mergers", "stellar populations", "molecular clouds",
    ),
    "astro-ph.EP": (
        "exoplanets", "protoplanetary disks", "transit photometry", "planet formation",
        "habitable zone", "radial velocity", "debris disks", "hot Jupiters",
    ),
    "cond-mat.mes-hall": (
        "quantum dots", "graphene", "spin-orbit coupling", "quantum Hall effect",
        "nanowires", "topological insulators", "edge states", "electron transport",
    ),
    "cond-mat.str-el": (
        "Hubbard model", "strongly correlated electrons", "Mott insulators",
        "quantum spin liquids", "Kondo effect", "frustrated magnets", "DMRG",
        "quantum criticality",
    ),
    "cond-mat.mtrl-sci": (
        "density functional theory", "thin films", "crystal structure", "band structure",
        "first-principles calculations", "point defects", "phonon dispersion",
        "X-ray diffraction",
    ),
    "cond-mat.dis-nn": (
        "disordered systems", "Anderson localization", "replica method",
        "many-body localization", "random energy model", "glassy dynamics",
        "Hopfield networks", "rugged energy landscapes",
    ),
    "physics.optics": (
        "optical cavities", "photonic crystals", "laser pulses", "nonlinear optics",
        "waveguides", "single photons", "metasurfaces", "frequency combs",
    ),
    "physics.soc-ph": (
        "social networks", "opinion dynamics", "epidemic spreading", "urban mobility",
        "complex networks", "collective behavior", "network science", "human dynamics",
    ),
    "physics.bio-ph": (
        "biophysical models", "molecular motors", "protein folding", "membrane dynamics",
        "cell mechanics", "ion channels", "biopolymers", "active gels",
    ),
    "nlin.CD": (
        "chaotic dynamics", "Lyapunov exponents", "strange attractors", "bifurcations",
        "synchronization", "nonlinear oscillators", "ergodicity", "dynamical systems",
    ),
    "cs.IT": (
        "channel capacity", "coding theory", "mutual information", "rate-distortion",
        "error-correcting codes", "Shannon entropy", "MIMO channels",
        "information-theoretic limits",
    ),
    "cs.DM": (
        "graph algorithms", "discrete structures", "combinatorial optimization",
        "Boolean functions", "finite automata", "complexity bounds", "graph partitions",
        "discrete geometry",
    ),
    "cs.DS": (
        "approximation algorithms", "running time", "data structures",
        "polynomial-time algorithm", "NP-hardness", "online algorithms",
        "streaming algorithms", "sublinear algorithms",
    ),
    "cs.AI": (
        "knowledge representation", "automated planning", "multi-agent systems",
        "commonsense reasoning", "heuristic search", "language model agents",
        "symbolic reasoning", "autonomous agents",
    ),
    "cs.IR": (
        "information retrieval", "recommender systems", "search engines",
        "ranking models", "query expansion", "dense retrieval", "click-through data",
        "document ranking",
    ),
    "cs.RO": (
        "robot manipulation", "motion planning", "SLAM", "legged locomotion", "grasping",
        "autonomous driving", "sim-to-real transfer", "robot navigation",
    ),
    "cs.NE": (
        "evolutionary algorithms", "neuromorphic hardware", "genetic algorithms",
        "spiking neural networks", "neuroevolution", "reservoir computing",
        "particle swarm optimization", "Hebbian learning",
    ),
    "eess.SY": (
        "control systems", "feedback controllers", "model predictive control",
        "stability analysis", "Lyapunov functions", "system identification",
        "networked control", "robust control",
    ),
    "eess.IV": (
        "image denoising", "compressed sensing", "image reconstruction",
        "MRI reconstruction", "image compression", "hyperspectral imaging", "deblurring",
        "inverse problems",
    ),
    "stat.ML": (
        "kernel methods", "statistical learning theory", "Gaussian process regression",
        "sparse models", "Bayesian inference", "PAC-Bayes bounds",
        "variational inference", "causal discovery",
    ),
    "stat.AP": (
        "clinical data", "epidemiology", "public health", "environmental data",
        "sports analytics", "survey data", "case study", "observational data",
    ),
    "stat.CO": (
        "Markov chain Monte Carlo", "sequential Monte Carlo", "EM algorithm",
        "Hamiltonian Monte Carlo", "computational efficiency", "importance sampling",
        "approximate Bayesian computation", "parallel computing",
    ),
    "q-bio.QM": (
        "mathematical models", "parameter inference", "biological data",
        "gene expression", "single-cell data", "epidemic models", "population dynamics",
        "cell tracking",
    ),
    "q-fin.ST": (
        "asset returns", "volatility", "financial time series", "stock markets",
        "heavy tails", "market microstructure", "portfolio risk", "realized volatility",
    ),
    "econ.GN": (
        "economic growth", "inequality", "labor economics", "household survey",
        "minimum wage", "trade policy", "consumption", "productivity",
    ),
}

# Alias and retired labels emitted as secondary labels, with the canonical category
# whose vocabulary they use; the same pairs as conf/base/parameters_categories.yml.
_NONCANONICAL_LABELS: dict[str, str] = {
    "math.IT": "cs.IT",
    "math.MP": "math-ph",
    "stat.TH": "math.ST",
    "cs.SY": "eess.SY",
    "q-fin.EC": "econ.GN",
    "alg-geom": "math.AG",
    "funct-an": "math.FA",
    "chao-dyn": "nlin.CD",
    "q-alg": "math.QA",
}

_VOCABULARY: dict[str, tuple[str, ...]] = {
    **{category.name: category.vocabulary for category in _PRIMARIES},
    **_SECONDARY_VOCABULARY,
}

_SENTENCES = (
    "We study {a} in the context of {b}.",
    "In this paper we show that {a} is closely related to {b}.",
    "We propose a new approach to {a} based on {b}.",
    "Using {m}, we derive {r} for {a} and {b}.",
    "Our results indicate that {a} plays a central role in {b}.",
    "We find that {a} scales as {x} in the regime of {b}.",
    "The resulting description of {a} agrees with {m} to within {p} percent.",
    "Previous work on {a} has neglected the effect of {b}.",
    "We present {r} on {a} obtained from {b}.",
    "This allows us to relate {a} to {b} and {c}.",
    "As an application, we discuss {a} and its implications for {b}.",
    "Moreover, {a} is shown to be consistent with {b} for {x}.",
    "We obtain {r} for {a} with {x}.",
    "In particular, we analyse {a} and {b} in detail.",
    "The main ingredient is {a}, which we combine with {b}.",
    "Finally, we comment on {a} and possible extensions to {c}.",
    "Our analysis of {a} yields an improvement of {p} percent over earlier work.",
    "These findings shed new light on {a} and {b}.",
    "A key difficulty is that {a} depends sensitively on {b}.",
    "We illustrate the method with {m} of {a}.",
)

_TITLES = (
    "{A} and {b}",
    "On {a} in {b}",
    "{A} from {b}",
    "A note on {a}",
    "{A} via {b}",
    "Towards {a} with {b} and {c}",
    "{A}: {r} and applications to {b}",
    "Constraints on {a} from {b}",
    "{A} beyond {b}",
    "Revisiting {a} in the presence of {b} and {c}",
)

_METHODS = (
    "numerical simulations", "a perturbative expansion", "a variational argument",
    "extensive experiments", "an exact calculation", "a simple model",
    "a detailed comparison", "an explicit construction", "a systematic study",
)

_RESULTS = (
    "new bounds", "explicit formulas", "improved estimates", "sharp results",
    "analytic expressions", "precise constraints", "closed-form expressions",
)

# Inline LaTeX as arXiv abstracts write it; {v}, {k} and {n} are filled with numbers.
_MATH_SNIPPETS = (
    r"$\alpha = {v}$", r"$\beta \approx {v}$", r"$N = {n}$", r"$10^{{-{k}}}$",
    r"$O(n^{k})$", r"$O(n \log n)$", r"$\epsilon < {v}$", r"$d = {k}$", "{v}",
    r"$\lambda \to 0$", r"$k \geq {k}$", r"$\chi^2/\mathrm{{dof}} = {v}$",
)

_GIVEN_NAMES = (
    "Maria", "Wei", "Ananya", "José", "Olga", "Hiroshi", "Fatima", "Lukas", "Chloé",
    "Pavel", "Ingrid", "Kwame", "Mei", "Rafael", "Sofia", "Tomasz", "Yuki", "Ahmed",
    "Elena", "Jonas", "Priya", "Mateo", "Zoë", "Daniel", "Amara", "Sven", "Lina",
    "Kenji", "Isabel", "Nikolai", "Aisha", "Marco", "Hannah", "Rosa", "Emil", "Leila",
    "Arjun", "Camille", "Björn", "Thomas",
)

_FAMILY_NAMES = (
    "Müller", "Nakamura", "Okafor", "Ivanova", "García", "Chen", "Rossi", "Kowalski",
    "Haddad", "Andersson", "Patel", "Nguyen", "Dubois", "Schmidt", "Kim", "Silva",
    "Novak", "Fernández", "Tanaka", "Cohen", "Li", "Wang", "Zhang", "Singh", "Moreau",
    "Jensen", "O'Brien", "van der Berg", "Petrović", "Søndergaard", "Yilmaz", "Mensah",
    "Herrera", "Łukasik", "Balázs", "Santos", "Kovács", "Horvat", "Lindqvist",
    "Ahmadi", "Brown", "Smith", "Taylor", "Martin", "Evans", "Park", "Sato", "Bianchi",
    "Costa", "Weber",
)

_NAME_SUFFIXES = ("Jr", "II", "III")

# The snapshot's `authors` field spells accents in TeX while `authors_parsed` and
# `submitter` use Unicode; every non-ASCII letter of the name lists is covered here.
_TEX_ACCENTS = str.maketrans({
    "á": r"\'a", "é": r"\'e", "í": r"\'i", "ć": r"\'c", "ë": r'\"e', "ö": r'\"o',
    "ü": r'\"u', "ø": r"{\o}", "Ł": r"{\L}",
})

_AUTHOR_COUNT_WEIGHTS = (14, 22, 20, 14, 10, 8, 6, 6)  # for 1 to 8 authors
_VERSION_COUNT_WEIGHTS = (60, 25, 10, 5)  # for 1 to 4 versions

_COMMENT_NOTES = (
    "published version", "minor revisions", "typos corrected",
    "accepted for publication", "references added", "extended version",
    "to appear in the proceedings",
)

_LICENSES = (
    None,
    "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    "http://creativecommons.org/licenses/by/4.0/",
    "http://creativecommons.org/licenses/by-nc-sa/4.0/",
    "http://creativecommons.org/licenses/by-nc-nd/4.0/",
    "http://creativecommons.org/publicdomain/zero/1.0/",
)
_LICENSE_WEIGHTS = (15, 55, 20, 5, 3, 2)


@dataclass(frozen=True)
class _Venue:
    """Where a field publishes: journals with their DOI stems, and report-number series."""

    journals: tuple[tuple[str, str], ...]
    report_formats: tuple[str, ...]  # {year}, {yy} and {n} are filled in
    report_share: float


_VENUES: dict[str, _Venue] = {
    "hep": _Venue(
        (
            ("Phys. Rev. D", "10.1103/PhysRevD"), ("JHEP", "10.1007/JHEP"),
            ("Nucl. Phys. B", "10.1016/j.nuclphysb"), ("Phys. Lett. B", "10.1016/j.physletb"),
            ("Eur. Phys. J. C", "10.1140/epjc"),
        ),
        (
            "CERN-TH-{year}-{n:03d}", "MIT-CTP/{n:04d}", "FERMILAB-PUB-{yy}-{n:03d}-T",
            "DESY {yy}-{n:03d}", "KEK-TH-{n:04d}",
        ),
        0.3,
    ),
    "astro": _Venue(
        (
            ("Astrophys. J.", "10.3847/1538-4357"), ("Mon. Not. R. Astron. Soc.", "10.1093/mnras"),
            ("Astron. Astrophys.", "10.1051/0004-6361"), ("JCAP", "10.1088/1475-7516"),
        ),
        ("IPMU{yy}-{n:04d}", "LIGO-P{yy}{n:05d}"),
        0.04,
    ),
    "quant": _Venue(
        (
            ("Phys. Rev. A", "10.1103/PhysRevA"), ("Phys. Rev. Lett.", "10.1103/PhysRevLett"),
            ("Quantum", "10.22331/q"), ("npj Quantum Inf.", "10.1038/s41534"),
        ),
        ("LA-UR-{yy}-{n:05d}",),
        0.03,
    ),
    "cond-mat": _Venue(
        (
            ("Phys. Rev. B", "10.1103/PhysRevB"), ("Phys. Rev. E", "10.1103/PhysRevE"),
            ("J. Stat. Mech.", "10.1088/1742-5468"),
            ("Supercond. Sci. Technol.", "10.1088/1361-6668"),
        ),
        ("NORDITA-{year}-{n:03d}",),
        0.03,
    ),
    "math": _Venue(
        (
            ("J. Combin. Theory Ser. A", "10.1016/j.jcta"), ("Duke Math. J.", "10.1215/00127094"),
            ("Ann. Probab.", "10.1214/aop"), ("Compos. Math.", "10.1112/S0010437X"),
        ),
        ("MPIM-{year}-{n:02d}",),
        0.02,
    ),
    "cs": _Venue(
        (
            ("J. Mach. Learn. Res.", "10.5555/jmlr"),
            ("IEEE Trans. Pattern Anal. Mach. Intell.", "10.1109/TPAMI"),
            ("Trans. Assoc. Comput. Linguist.", "10.1162/tacl"),
            ("Int. J. Comput. Vis.", "10.1007/s11263"),
        ),
        ("MSR-TR-{year}-{n:02d}",),
        0.01,
    ),
    "q-bio": _Venue(
        (
            ("PLoS Comput. Biol.", "10.1371/journal.pcbi"), ("J. Neurosci.", "10.1523/JNEUROSCI"),
            ("Neural Comput.", "10.1162/neco"),
        ),
        (),
        0.0,
    ),
    "stat": _Venue(
        (
            ("J. Amer. Statist. Assoc.", "10.1080/01621459"), ("Biometrika", "10.1093/biomet"),
            ("Ann. Statist.", "10.1214/aos"),
        ),
        (),
        0.0,
    ),
    "econ": _Venue(
        (
            ("J. Econometrics", "10.1016/j.jeconom"), ("Econometrica", "10.3982/ECTA"),
            ("Rev. Econ. Stud.", "10.1093/restud"),
        ),
        ("NBER-WP-{n:05d}",),
        0.05,
    ),
}

_COMMENTLESS_SHARE = 0.1
_PUBLISHED_SHARE = 0.45
_DOI_SHARE_PUBLISHED = 0.9
_DOI_SHARE_UNPUBLISHED = 0.15


class _Draw:
    """Random draws built only on ``random.Random.random``.

    Python promises that ``random()`` gives the same stream for a seed in every version,
    but not ``choice``, ``sample`` or ``randint``; building on ``random()`` alone keeps
    the corpus byte-identical across interpreters.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def fraction(self) -> float:
        """Return a float in [0, 1)."""
        return self._rng.random()

    def chance(self, probability: float) -> bool:
        """Return True with the given probability."""
        return self._rng.random() < probability

    def integer(self, low: int, high: int) -> int:
        """Return an integer in [low, high], both ends included."""
        return low + int(self._rng.random() * (high - low + 1))

    def pick(self, items: Sequence[_T]) -> _T:
        """Return one item, all equally likely."""
        return items[int(self._rng.random() * len(items))]

    def weighted(self, items: Sequence[_T], weights: Sequence[float]) -> _T:
        """Return one item with probability proportional to its weight."""
        bounds = list(accumulate(weights))
        target = self._rng.random() * bounds[-1]
        return next(item for item, bound in zip(items, bounds) if target < bound)

    def distinct(self, items: Sequence[_T], count: int) -> list[_T]:
        """Return ``count`` different items in random order (partial Fisher-Yates)."""
        pool = list(items)
        for index in range(count):
            swap = self.integer(index, len(pool) - 1)
            pool[index], pool[swap] = pool[swap], pool[index]
        return pool[:count]


@dataclass(frozen=True)
class _Author:
    """One author: ``first`` as printed in the paper, ``given`` as the submitter signs."""

    given: str
    first: str
    last: str
    suffix: str


def generate_demo_records(n_papers: int = _DEFAULT_PAPERS, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Generate synthetic paper records in the arXiv snapshot's format.

    Parameters
    ----------
    n_papers : int
        Number of records, from 0 to 1,000,000.
    seed : int
        Seed of the only random generator used; equal seeds give equal records.

    Returns
    -------
    Iterator[dict[str, Any]]
        Records with the snapshot's 14 keys in its order: new-style ids in submission
        order first, then about 2% old-style ids such as ``hep-th/9901001``.

    Raises
    ------
    ValueError
        If ``n_papers`` is outside 0 to 1,000,000.
    """
    if not 0 <= n_papers <= _MAX_PAPERS:
        raise ValueError(f"n_papers must be between 0 and {_MAX_PAPERS}, got {n_papers}")
    return _records(_Draw(seed), n_papers)


def write_demo_corpus(path: str | Path, n_papers: int = _DEFAULT_PAPERS, seed: int = 0) -> Path:
    """Write the synthetic corpus as JSON lines, replacing ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        Output file; missing parent folders are created.
    n_papers : int
        Number of records, from 0 to 1,000,000.
    seed : int
        Seed of the generator; equal seeds and sizes give byte-identical files.

    Returns
    -------
    Path
        The written file.
    """
    records = generate_demo_records(n_papers, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target so os.replace stays on one file system; readers never
    # see a half-written corpus, and a failed run leaves the old file in place.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("x", encoding="utf-8", newline="\n") as stream:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    """Write the demo corpus from the command line.

    Parameters
    ----------
    argv : Sequence[str], optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.
    """
    parser = argparse.ArgumentParser(
        prog="python -m arxiv_pipeline.demo_corpus",
        description="Write a synthetic corpus in the arXiv metadata snapshot's JSON-lines format.",
    )
    parser.add_argument("output", type=Path, help="file to write, e.g. data/01_raw/demo/" + DEMO_FILENAME)
    parser.add_argument(
        "--papers", type=_paper_count, default=_DEFAULT_PAPERS, help="number of papers (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    args = parser.parse_args(argv)
    path = write_demo_corpus(args.output, n_papers=args.papers, seed=args.seed)
    print(f"wrote {args.papers} synthetic papers to {path}")


def _paper_count(text: str) -> int:
    """Parse ``--papers`` so that a bad size is a usage error rather than a traceback."""
    count = int(text)
    if not 0 <= count <= _MAX_PAPERS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {_MAX_PAPERS}, got {count}")
    return count


def _records(draw: _Draw, n_papers: int) -> Iterator[dict[str, Any]]:
    n_old_style = round(n_papers * _OLD_STYLE_SHARE)
    weights = [category.weight for category in _PRIMARIES]
    for paper_id, submitted in _new_style_slots(draw, n_papers - n_old_style):
        yield _record(draw, paper_id, draw.weighted(_PRIMARIES, weights), submitted, old_style=False)
    for paper_id, primary, submitted in _old_style_slots(draw, n_old_style):
        yield _record(draw, paper_id, primary, submitted, old_style=True)


def _new_style_slots(draw: _Draw, count: int) -> Iterator[tuple[str, datetime]]:
    """Yield ``(id, submitted)`` pairs, evenly spread over ten years, ids ascending."""
    span = _NEW_STYLE_END - _NEW_STYLE_START
    papers_per_month = -(-count // _NEW_STYLE_MONTHS)
    max_gap = max(1, min(_MAX_ID_GAP, _MONTHLY_NUMBER_BUDGET // max(1, papers_per_month)))
    month, number = "", 0
    for index in range(count):
        # Slot index covers [index, index + 1) of the span, so times strictly increase.
        submitted = (_NEW_STYLE_START + span * ((index + draw.fraction()) / count)).replace(microsecond=0)
        if f"{submitted:%y%m}" != month:
            month, number = f"{submitted:%y%m}", 0
        number += draw.integer(1, max_gap)
        yield f"{month}.{number:05d}", submitted


def _old_style_slots(draw: _Draw, count: int) -> Iterator[tuple[str, _Category, datetime]]:
    """Yield ``(id, primary, submitted)`` for old-style ids, grouped by archive."""
    capable = [category for category in _PRIMARIES if category.old_archive]
    weights = [category.weight for category in capable]
    span = _OLD_STYLE_END - _OLD_STYLE_START
    drafts = []
    for _ in range(count):
        primary = draw.weighted(capable, weights)
        submitted = (_OLD_STYLE_START + span * draw.fraction()).replace(microsecond=0)
        drafts.append((primary.old_archive, submitted, primary))
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    last_number: dict[str, int] = {}
    for archive, submitted, primary in drafts:
        prefix = f"{archive}/{submitted:%y%m}"
        last_number[prefix] = last_number.get(prefix, 0) + draw.integer(1, 9)
        yield f"{prefix}{last_number[prefix]:03d}", primary, submitted


def _record(
    draw: _Draw, paper_id: str, primary: _Category, submitted: datetime, old_style: bool
) -> dict[str, Any]:
    categories = _draw_categories(draw, primary)
    authors = _draw_authors(draw)
    versions = _draw_versions(draw, submitted)
    venue = _VENUES[primary.venue]
    journal_ref, doi = _draw_publication(draw, venue, submitted.year)
    return {
        "id": paper_id,
        "submitter": _submitter(draw.pick(authors)),
        "authors": _format_authors(draw, authors),
        "title": _wrap_title(_draw_title(draw, categories)),
        "comments": _draw_comments(draw),
        "journal-ref": journal_ref,
        "doi": doi,
        "report-no": _draw_report_number(draw, venue, submitted.year),
        "categories": " ".join(categories),
        # Papers from before the 2007 id change rarely carry a licence in the snapshot.
        "license": None if old_style else draw.weighted(_LICENSES, _LICENSE_WEIGHTS),
        "abstract": _wrap_abstract(_draw_abstract(draw, categories)),
        "versions": [
            {"version": f"v{number}", "created": _rfc2822(created)}
            for number, created in enumerate(versions, start=1)
        ],
        "update_date": f"{versions[-1]:%Y-%m-%d}",
        "authors_parsed": [[author.last, author.first, author.suffix] for author in authors],
    }


def _draw_categories(draw: _Draw, primary: _Category) -> list[str]:
    """Return the primary category first, then zero to two related secondary labels."""
    if not draw.chance(_MULTI_LABEL_SHARE):
        return [primary.name]
    n_secondary = 2 if draw.chance(_THREE_LABEL_SHARE) else 1
    return [primary.name, *draw.distinct(primary.related, n_secondary)]


def _draw_term(draw: _Draw, categories: Sequence[str]) -> str:
    """Return a topic term: mostly the primary's, some secondary, a few off-topic."""
    roll = draw.fraction()
    if roll < _OFF_TOPIC_TERM_SHARE:
        label = draw.pick(_PRIMARIES).name
    elif len(categories) > 1 and roll < _OFF_TOPIC_TERM_SHARE + _SECONDARY_TERM_SHARE:
        label = draw.pick(categories[1:])
    else:
        label = categories[0]
    return draw.pick(_VOCABULARY[_NONCANONICAL_LABELS.get(label, label)])


def _fill(draw: _Draw, template: str, categories: Sequence[str]) -> str:
    """Fill every slot a sentence or title template may use."""
    a = _draw_term(draw, categories)
    return template.format(
        a=a,
        A=_capitalise(a),
        b=_draw_term(draw, categories),
        c=_draw_term(draw, categories),
        m=draw.pick(_METHODS),
        r=draw.pick(_RESULTS),
        x=_draw_math(draw),
        p=draw.integer(2, 30),
    )


def _draw_math(draw: _Draw) -> str:
    return draw.pick(_MATH_SNIPPETS).format(
        v=f"{draw.fraction() * 10:.2f}", k=draw.integer(2, 6), n=2 ** draw.integer(4, 12)
    )


def _draw_abstract(draw: _Draw, categories: Sequence[str]) -> str:
    target_words = draw.integer(_MIN_ABSTRACT_WORDS, _MAX_ABSTRACT_WORDS)
    sentences: list[str] = []
    n_words = 0
    while n_words < target_words:
        sentence = _fill(draw, draw.pick(_SENTENCES), categories)
        sentences.append(sentence)
        n_words += len(sentence.split())
    return " ".join(sentences)


def _draw_title(draw: _Draw, categories: Sequence[str]) -> str:
    return _fill(draw, draw.pick(_TITLES), categories)


def _capitalise(text: str) -> str:
    # str.capitalize would lower-case acronyms such as "LHC" or "BERT".
    return text[:1].upper() + text[1:]


def _wrap_title(title: str) -> str:
    """Hard-wrap as the snapshot does: continuation lines start with two spaces."""
    lines = textwrap.wrap(
        title, width=_TITLE_WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
    )
    return "\n".join(lines)


def _wrap_abstract(text: str) -> str:
    """Hard-wrap as the snapshot does: two leading spaces, lines under 80, final newline."""
    wrapped = textwrap.fill(
        text, width=_ABSTRACT_WIDTH, initial_indent="  ", break_long_words=False, break_on_hyphens=False
    )
    return wrapped + "\n"


def _draw_authors(draw: _Draw) -> list[_Author]:
    count = draw.weighted(range(1, len(_AUTHOR_COUNT_WEIGHTS) + 1), _AUTHOR_COUNT_WEIGHTS)
    return [_draw_author(draw) for _ in range(count)]


def _draw_author(draw: _Draw) -> _Author:
    given = draw.pick(_GIVEN_NAMES)
    middle_initial = f" {draw.pick(_GIVEN_NAMES)[0]}." if draw.chance(0.3) else ""
    # About half the papers print initials only, like "E. L. Berger".
    first = (given[0] + "." if draw.chance(0.45) else given) + middle_initial
    suffix = draw.pick(_NAME_SUFFIXES) if draw.chance(0.02) else ""
    return _Author(given=given, first=first, last=draw.pick(_FAMILY_NAMES), suffix=suffix)


def _submitter(author: _Author) -> str:
    return f"{author.given} {author.last}"


def _format_authors(draw: _Draw, authors: Sequence[_Author]) -> str:
    """Join names as the snapshot does: "A and B", "A, B, C" or "A, B and C"."""
    names = [" ".join(filter(None, (a.first, a.last, a.suffix))).translate(_TEX_ACCENTS) for a in authors]
    if len(names) > 2 and draw.chance(0.5):
        return ", ".join(names)
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0]


def _draw_versions(draw: _Draw, submitted: datetime) -> list[datetime]:
    count = draw.weighted(range(1, len(_VERSION_COUNT_WEIGHTS) + 1), _VERSION_COUNT_WEIGHTS)
    versions = [submitted]
    for _ in range(count - 1):
        versions.append(versions[-1] + timedelta(days=draw.integer(1, 400), seconds=draw.integer(0, 86_399)))
    return versions


def _rfc2822(moment: datetime) -> str:
    # Spelled out rather than strftime("%a %b"), whose names follow the locale.
    weekday, month = _WEEKDAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{weekday}, {moment.day} {month} {moment.year} {moment:%H:%M:%S} GMT"


def _draw_comments(draw: _Draw) -> str | None:
    if draw.chance(_COMMENTLESS_SHARE):
        return None
    pages, figures = draw.integer(4, 48), draw.integer(0, 16)
    comment = f"{pages} pages" + (f", {figures} figures" if figures else "")
    if draw.chance(0.2):
        comment += f"; {draw.pick(_COMMENT_NOTES)}"
    return comment


def _draw_publication(draw: _Draw, venue: _Venue, year: int) -> tuple[str | None, str | None]:
    """Return ``(journal-ref, doi)``; a DOI also appears on some unpublished papers."""
    journal, doi_stem = draw.pick(venue.journals)
    volume, page = draw.integer(20, 150), draw.integer(1, 99_999)
    published = draw.chance(_PUBLISHED_SHARE)
    has_doi = draw.chance(_DOI_SHARE_PUBLISHED if published else _DOI_SHARE_UNPUBLISHED)
    journal_ref = f"{journal} {volume} ({year + draw.integer(0, 1)}) {page}" if published else None
    doi = f"{doi_stem}.{volume}.{page:06d}" if has_doi else None
    return journal_ref, doi


def _draw_report_number(draw: _Draw, venue: _Venue, year: int) -> str | None:
    if not draw.chance(venue.report_share):
        return None
    return draw.pick(venue.report_formats).format(year=year, yy=f"{year % 100:02d}", n=draw.integer(1, 999))


if __name__ == "__main__":
    main()
