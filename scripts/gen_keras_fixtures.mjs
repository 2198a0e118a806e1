/**
 * Writes test/fixtures/keras.json: small TensorFlow.js LayersModels with
 * seeded random weights, each as its model.json (the file `model.save`
 * writes, weightsManifest included) and its weight bytes (base64), with a
 * fixed input and what `model.predict` gave for it (float32).
 *
 * TensorFlow.js is not a dependency of the project: it is installed apart,
 * with the benchmark peers (`npm run bench:peers`), and resolved from
 * bench/peers/node_modules. Run: node scripts/gen_keras_fixtures.mjs
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
const tf = createRequire(new URL('bench/peers/package.json', root))('@tensorflow/tfjs');

let seed = 1;
const uniform = (shape, lo = -0.6, hi = 0.6) => tf.randomUniform(shape, lo, hi, 'float32', seed++);

/** Every weight of the model drawn from U(−0.6, 0.6), each with its own seed. */
function seedWeights(model) {
  model.setWeights(model.weights.map((w) => uniform(w.shape)));
}

/** model.json and the weight bytes, as `model.save` writes them to files. */
async function artefacts(model) {
  let saved;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: saved.weightSpecs }],
  };
  return { modelJson, weights: Buffer.from(saved.weightData).toString('base64') };
}

const B = 2;
const T = 5;
const F = 3;
const sigmoidGates = { recurrentActivation: 'sigmoid' };

const cases = [
  {
    name: 'lstm_last_dense',
    input: 'features',
    layers: () => [
      tf.layers.lstm({ units: 4, inputShape: [T, F], ...sigmoidGates }),
      tf.layers.dense({ units: 2 }),
    ],
  },
  {
    name: 'gru_sequences_dense_tanh',
    input: 'features',
    layers: () => [
      tf.layers.gru({ units: 4, inputShape: [T, F], returnSequences: true, ...sigmoidGates }),
      tf.layers.dense({ units: 3, activation: 'tanh' }),
    ],
  },
  {
    name: 'simple_rnn_relu_tanh_sigmoid',
    input: 'features',
    layers: () => [
      tf.layers.simpleRNN({ units: 4, inputShape: [T, F], activation: 'relu', returnSequences: true }),
      tf.layers.simpleRNN({ units: 3 }),
      tf.layers.dense({ units: 2, activation: 'sigmoid' }),
    ],
  },
  {
    name: 'embedding_bilstm_softmax',
    input: 'ids',
    vocabulary: 7,
    layers: () => [
      tf.layers.embedding({ inputDim: 7, outputDim: 4, inputLength: T }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, ...sigmoidGates }), mergeMode: 'concat' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  },
  {
    name: 'bigru_sequences_relu_dense',
    input: 'features',
    layers: () => [
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, ...sigmoidGates }), mergeMode: 'concat', inputShape: [T, F] }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.dense({ units: 2, useBias: false }),
    ],
  },
  {
    name: 'bi_simple_rnn_last',
    input: 'features',
    layers: () => [
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 2 }), mergeMode: 'concat', inputShape: [T, F] }),
      tf.layers.dense({ units: 1 }),
    ],
  },
];

const models = [];
for (const c of cases) {
  const model = tf.sequential({ layers: c.layers() });
  seedWeights(model);
  const input = c.input === 'ids'
    ? tf.floor(uniform([B, T], 0, c.vocabulary))
    : uniform([B, T, F], -1, 1);
  const output = model.predict(input);
  models.push({
    name: c.name,
    ...(await artefacts(model)),
    input: { shape: input.shape, data: Array.from(input.dataSync()) },
    output: { shape: output.shape, data: Array.from(output.dataSync()) },
  });
}

const path = new URL('test/fixtures/keras.json', root);
writeFileSync(path, `${JSON.stringify({ generatedBy: `TensorFlow.js ${tf.version.tfjs}`, models })}\n`);
console.log(`wrote ${models.length} models to ${path.pathname}`);
