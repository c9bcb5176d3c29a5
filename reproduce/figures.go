package reproduce

// ballastMethod is BALLAST itself, emphasised in the BALLAST paper's
// figures (as dynatune is in the Dynatune paper's).
const ballastMethod = "bandit_safe"
