#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { MnistSplit } from '../data/mnist';
import { writeFileAtomic } from '../io';
import type { Matrix } from '../matrix';
import { saveOnnx, storedExtras } from '../model/onnx';
import { packageVersion } from '../native';
import {
  type DataOptions,
  type Examples,
  labelKindOf,
  loadExamples,
  loadModel,
  requireModelFits,
  requireWritableFolder,
  UsageError,
} from './data';
import { addTableFlags, MODEL_FLAGS, positiveInteger } from './flags';
import { formatCount, formatPercent, perClassAccuracy } from './progress';
import { registerJobCommands } from './sweep';
import { evaluateTabular, predictTabular } from './tabular';
import { type TrainOptions, trainCommand } from './train';

interface PredictOptions extends DataOptions {
  model: string;
  output?: string;
  allProbabilities?: boolean;
}

function predictCommand(options: PredictOptions): void {
  const model = loadModel(options.model);
  if (options.output !== undefined) requireWritableFolder(options.output, '--output');
  if (model.metadata.task !== null) {
    // a model trained on rows knows its classes: predictions come back as the labels it was given
    const lines = predictTabular(
      model,
      options.model,
      options.data,
      options.labelColumn,
      options.allProbabilities === true,
    );
    writePredictions(options, lines);
    return;
  }
  const softmax = model.output === 'softmax';
  if (options.allProbabilities && !softmax)
    throw new UsageError(
      `--all-probabilities is for softmax models; ${options.model} is a binary classifier, whose one probability is already printed`,
    );
  if (options.output !== undefined) requireWritableFolder(options.output, '--output');
  // predictions need no labels (MNIST's come anyway: they are not checked against the model's classes)
  const examples: Examples = { ...loadExamples(options, model.dtype, false, 'test', labelKindOf(model)), Y: null };
  requireModelFits(model, options.model, examples, options.labelColumn !== undefined);
  const probabilities = model.predictProba(examples.X).data;
  const lines: string[] = [];
  if (!softmax) {
    lines.push('prediction,probability');
    // The same threshold as model.predict: 1 where the probability exceeds 0.5.
    for (let j = 0; j < probabilities.length; j++)
      lines.push(`${probabilities[j] > 0.5 ? 1 : 0},${formatProbability(probabilities[j])}`);
  } else {
    const classes = model.outputSize;
    const predicted = model.predict(examples.X).data; // the most probable class, as model.predict picks it
    lines.push(
      [
        'prediction',
        'probability',
        ...(options.allProbabilities ? Array.from({ length: classes }, (_, k) => `p${k}`) : []),
      ].join(','),
    );
    for (let j = 0; j < examples.X.cols; j++) {
      const column = probabilities.subarray(j * classes, (j + 1) * classes);
      const row = [String(predicted[j]), formatProbability(column[predicted[j]])];
      if (options.allProbabilities) for (const p of column) row.push(formatProbability(p));
      lines.push(row.join(','));
    }
  }
  writePredictions(options, lines);
}

/** The predictions (a header line, then one line per example) to stdout or, atomically, to --output. */
function writePredictions(options: PredictOptions, lines: string[]): void {
  const text = `${lines.join('\n')}\n`;
  if (options.output === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileAtomic(options.output, text, { inputs: [options.data, options.model], what: 'predictions file' });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  process.stdout.write(`wrote ${formatCount(lines.length - 1)} predictions to ${options.output}\n`);
}

/** Enough digits to tell the probability apart from its neighbours in the model's dtype, without float noise. */
function formatProbability(p: number): string {
  return String(Number(p.toPrecision(9)));
}

interface EvaluateOptions extends DataOptions {
  model: string;
}

function evaluateCommand(options: EvaluateOptions): void {
  const model = loadModel(options.model);
  if (model.metadata.task !== null) {
    for (const line of evaluateTabular(model, options.model, options.data, options.labelColumn))
      process.stdout.write(`${line}\n`);
    return;
  }
  const examples = loadExamples(options, model.dtype, true, 'test', labelKindOf(model));
  requireModelFits(model, options.model, examples, true);
  const Y = examples.Y as Matrix;
  const { cost, accuracy } = model.evaluate(examples.X, Y);
  const m = examples.X.cols;
  process.stdout.write(
    `data: ${examples.name}: ${formatCount(m)} examples${examples.labelMeaning ? `, labels: ${examples.labelMeaning}` : ''}\n`,
  );
  process.stdout.write(`cost ${cost.toFixed(6)}\n`);
  process.stdout.write(
    `accuracy ${formatPercent(accuracy)} (${formatCount(Math.round(accuracy * m))} of ${formatCount(m)} correct)\n`,
  );
  if (model.output === 'softmax')
    process.stdout.write(
      `${perClassAccuracy(
        model.predict(examples.X).data,
        Y.data,
        Array.from({ length: model.outputSize }, (_, k) => k),
      )}\n`,
    );
}

// ---------------------------------------------------------------------------------------------------------
// The program

function dataOption(defaultSplit: MnistSplit): Option {
  return new Option(
    '-d, --data <source>',
    "the examples: a CSV file (one example per row, numeric columns), an IDX images file (MNIST's format, .gz allowed), " +
      `or "mnist" for the bundled MNIST digits (the ${defaultSplit} split; "mnist:train" or "mnist:test" to choose)`,
  ).makeOptionMandatory();
}

const LIMIT_HELP = 'use only the first n examples';
const LABELS_HELP =
  'IDX data: the IDX file of labels, one per example: 0 or 1 for a binary model, classes 0..k-1 for a softmax model (or digits mapped by --task)';
const TASK_HELP =
  'CSV: "classification" or "regression" (default: regression when the labels are numbers that are not all whole). ' +
  'MNIST or IDX digit labels: "digits" (the 10 digits as classes, softmax), "even-odd" (even = 1) or "digits:1,3,5" ' +
  '(the listed digits = 1) (default for MNIST: "digits" with a softmax model, "even-odd" with a binary one)';
const LABEL_COLUMN_HELP =
  'CSV: the label column, by header name or number counting from 1 (default: the last column); labels are 0 or 1 ' +
  '(sigmoid output) or classes 0..k-1 (softmax output)';

export function buildProgram(): Command {
  const program = new Command('dnn-native');
  program
    .description(
      'Train and run deep neural networks on the CPU, over OpenBLAS: binary classifiers ([LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID, ' +
        'labels 0/1) and multi-class ones (softmax output, labels 0..k-1).',
    )
    .version(packageVersion, '-V, --version', 'print the version')
    .helpOption('-h, --help', "show help (dnn-native <command> --help for a command's options)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/\n(?!$)/g, ' ')) });

  const train = program
    .command('train')
    .description(
      'train a model on labelled examples and save it; prints the cost per epoch and the final train accuracy. ' +
        "A CSV file trains through the estimators, with their defaults where a flag is not given (scikit-learn's MLP: " +
        '--hidden 100, adam, --learning-rate 0.001, --batch-size min(200, rows), --epochs 200 stopping when the training ' +
        "cost stops improving, --l2 1e-4, --init glorot, standardised inputs); the defaults listed below are the Model's, " +
        'used for IDX and MNIST data',
    )
    .addOption(dataOption('train'))
    .option('--labels <file>', LABELS_HELP)
    .option('--label-column <name|number>', LABEL_COLUMN_HELP)
    .option('--task <task>', TASK_HELP)
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .requiredOption('-o, --output <file>', 'where to save the trained model (written atomically)')
    .option('--plot <file>', 'also save the cost curve as an image (.png or .svg)')
    .option(
      '--hidden <sizes>',
      'CSV: hidden layer sizes only, e.g. 64,32 (input and output sizes come from the data) (default: 100)',
      (text: string) => {
        if (!/^\d+(,\d+)*$/.test(text.trim()))
          throw new InvalidArgumentError('expected sizes separated by commas, e.g. 64,32.');
        return text.split(',').map(Number);
      },
    )
    .addOption(
      new Option(
        '--scaling <kind>',
        'CSV: input scaling learnt from the training rows and kept in the model (default: standardize)',
      ).choices(['standardize', 'minmax', 'none']),
    )
    .option('--no-standardize', 'CSV: train on the features as they are (the same as --scaling none)')
    .option(
      '--checkpoint <file>',
      'write everything needed to continue the run to this file (atomically) after every epoch',
    )
    .option('--resume', 'continue the run from the --checkpoint file when it exists (the same command and data)')
    .helpOption('-h, --help', 'show this help')
    .action((options: TrainOptions) => {
      trainCommand(options, (line) => process.stdout.write(`${line}\n`));
    });
  addTableFlags(train, MODEL_FLAGS, {
    layerDims:
      "layer sizes, input first and outputs last, e.g. 784,128,64,10; the input size must equal the data's feature count " +
      '(default: <features>,128,64,<outputs>, with 1 output for sigmoid and one per class for softmax)',
    output:
      'sigmoid: binary classifier (labels 0/1, binary cross-entropy); softmax: one output per class (labels 0..k-1, ' +
      'categorical cross-entropy) (default: sigmoid, or softmax with --task digits)',
    seed: 'seed of the initial weights, the shuffling and the dropout masks (default: random; the command prints it)',
    blasThreads: "OpenBLAS threads (default: OpenBLAS's own, one per core)",
  });

  program
    .command('predict')
    .description(
      'predict with a saved model: CSV rows "prediction,probability", one per example, in the data\'s order; the prediction is 0/1 ' +
        'for a binary model (1 when the probability exceeds 0.5), the most probable class for a softmax model (with its probability)',
    )
    .requiredOption('-m, --model <file>', 'a model saved by dnn-native train')
    .addOption(dataOption('test'))
    .option(
      '--label-column <name|number>',
      'CSV: a label column to ignore, by header name or number counting from 1 (default: every column is a feature)',
    )
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .option('--all-probabilities', "softmax models: also write every class's probability (columns p0, p1, ...)", false)
    .option('-o, --output <file>', 'write the predictions to this CSV file (default: standard output)')
    .helpOption('-h, --help', 'show this help')
    .action((options: PredictOptions) => predictCommand(options));

  program
    .command('evaluate')
    .description(
      'print the cost and accuracy of a saved model on labelled examples (and, for a softmax model, the accuracy per class)',
    )
    .requiredOption('-m, --model <file>', 'a model saved by dnn-native train')
    .addOption(dataOption('test'))
    .option('--labels <file>', LABELS_HELP)
    .option('--label-column <name|number>', LABEL_COLUMN_HELP)
    .option('--task <task>', TASK_HELP)
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .helpOption('-h, --help', 'show this help')
    .action((options: EvaluateOptions) => evaluateCommand(options));

  program
    .command('export')
    .description(
      'write a saved model in another format: ONNX (its input scaling, layers and output as standard operators, float32)',
    )
    .requiredOption('-m, --model <file>', 'a model saved by dnn-native train')
    .addOption(new Option('--format <format>', 'the format').choices(['onnx']).default('onnx'))
    .requiredOption('-o, --output <file>', 'where to write it (atomically)')
    .helpOption('-h, --help', 'show this help')
    .action((options: { model: string; output: string }) => {
      const model = loadModel(options.model);
      requireWritableFolder(options.output, '--output');
      try {
        saveOnnx(model, options.output, storedExtras(model), [options.model]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      process.stdout.write(`wrote ${options.output} (ONNX, input "features" of ${model.inputSize} values per row)\n`);
    });

  registerJobCommands(program);
  return program;
}

/** Runs the command line; returns the exit code (0 on success, 1 on any error, with one line on stderr). */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander has printed its message (or the help)
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `dnn-native predict | head` closes the pipe early: that is not an error
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
