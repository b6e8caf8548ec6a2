/**
 * Imported first by bench.ts. The handlers' logger takes its level from the
 * environment when it is built, and injectLambdaContext puts that level back
 * on every invocation; the bench builds it early (synth imports infra, which
 * imports the deployment metrics and their logger), before the rehearsal sets
 * SILENT, so every rehearsed handler's JSON log would end up in the report.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
