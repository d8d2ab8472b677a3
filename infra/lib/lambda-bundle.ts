import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AssetHashType, DockerImage, aws_lambda as lambda } from "aws-cdk-lib";
import { buildSync } from "esbuild";

/** The repository's root, two levels above infra/lib. */
const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The Lambda entry of hookd: it takes Function URL / API Gateway requests and raw EventBridge events. */
const LAMBDA_ENTRY = join(REPO_ROOT, "src", "entry", "lambda.ts");

/** The handler of the bundle made by bundleLambdaEntry: `index.mjs`, export `handler`. */
export const LAMBDA_HANDLER = "index.handler";

/**
 * Bundles the Lambda entry with the locally installed esbuild, straight into the cloud assembly,
 * so that `cdk synth` needs neither Docker nor the network (NodejsFunction falls back to Docker
 * when it cannot find esbuild). The bundle is ESM with a `require` shim: some bundled CommonJS
 * dependencies require Node built-ins.
 */
export function bundleLambdaEntry(entry: string = LAMBDA_ENTRY): lambda.Code {
  return lambda.Code.fromAsset(join(REPO_ROOT, "src"), {
    // Hashing the bundle, not the sources: the same code deploys once, whatever changed around it.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API, never pulled: local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry("hookd-local-bundling-only"),
      local: {
        tryBundle(outputDir: string): boolean {
          esbuildLambdaEntry(entry, join(outputDir, "index.mjs"));
          return true;
        },
      },
    },
  });
}

function esbuildLambdaEntry(entry: string, outfile: string): void {
  try {
    buildSync({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      target: "node24",
      format: "esm",
      minify: true,
      sourcemap: true,
      // Nothing is external: the AWS SDK version tested is the one that runs, not the runtime's copy.
      banner: {
        js: 'import { createRequire as __hookdCreateRequire } from "node:module"; const require = __hookdCreateRequire(import.meta.url);',
      },
      logLevel: "silent",
    });
  } catch (cause) {
    throw new Error(`esbuild could not bundle the Lambda entry ${entry} into ${outfile}`, { cause });
  }
}
