/**
 * The one default seed of every seeded step in evaluation: bootstrap CIs (`bootstrapCi`,
 * `pairedBootstrap`), the report's ROC band and `fuseflow eval --seed`. 1234 is FuseMedML's
 * default (`CI(..., rnd_seed=1234)`), so an interval computed with the defaults here and there
 * resamples the same way under `method: 'fusemedml'`.
 */
export const DEFAULT_SEED = 1234;
