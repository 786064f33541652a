/**
 * A CLIP model folder (transformers.js layout, src/onnx/clip/folder.ts) → what fine-tuning needs: config, float32
 * weights of both towers, pixel normalisation, tokenizer; and a fine-tuned model back → folder files.
 */
import type { GpuContext } from '../gpu/context';
import { normalizationConstants, parsePreprocessorConfig, type NormalizationConstants } from '../image/preprocess';
import { CLIP_TEXT_ONNX, CLIP_VISION_ONNX, buildClipFolder, clipConfigFromJson, type ClipFolderFiles } from '../onnx/clip/folder';
import type { ClipConfig } from '../onnx/clip/config';
import { checkClipWeights, extractClipWeights, type ClipWeights } from '../onnx/clip/weights';
import { decodeModel } from '../onnx/proto';
import { ClipTokenizer } from '../text/tokenizer';
import { resolvedTowers, type FineTuneConfig } from './config';
import { FineTuneModel, type FineTuneModelOptions } from './model';
import { classPrompts, type PromptSelection } from './text';

export interface LoadedClip {
  config: ClipConfig;
  weights: ClipWeights;
  constants: NormalizationConstants;
  tokenizer: ClipTokenizer;
  tokenizerJson: string;
}

export function loadClipFiles(files: Pick<ClipFolderFiles, 'config.json' | 'preprocessor_config.json' | 'tokenizer.json' | 'onnx/vision_model.onnx' | 'onnx/text_model.onnx'>): LoadedClip {
  const config = clipConfigFromJson(files['config.json']);
  const constants = normalizationConstants(parsePreprocessorConfig(files['preprocessor_config.json']), config.channels);
  const merged: ClipWeights = new Map([...extractClipWeights(decodeModel(files[CLIP_VISION_ONNX])), ...extractClipWeights(decodeModel(files[CLIP_TEXT_ONNX]))]);
  const weights = checkClipWeights(config, merged);
  return { config, weights, constants, tokenizer: ClipTokenizer.fromJSON(files['tokenizer.json']), tokenizerJson: files['tokenizer.json'] };
}

/** A `FineTuneModel` of a loaded folder, training the towers the config says (`backend`: default by adapter). */
export function fineTuneModelFor(ctx: GpuContext, clip: LoadedClip, c: FineTuneConfig, backend?: FineTuneModelOptions['backend']): Promise<FineTuneModel> {
  return FineTuneModel.create(ctx, {
    config: clip.config, weights: clip.weights, constants: clip.constants, train: resolvedTowers(c),
    optimizer: { kind: c.optimizer, weightDecay: c.weightDecay, maxGradNorm: c.maxGradNorm, momentum: c.momentum }, backend,
  });
}

/** The loop's prompt factory for a tokenizer and class names. */
export function tokenizerPrompts(tokenizer: ClipTokenizer, classNames: readonly string[]): (sel: PromptSelection) => ReturnType<typeof classPrompts> {
  return (sel) => classPrompts(tokenizer, classNames, sel);
}

/** The fine-tuned weights as a model folder (same tokenizer, config and normalisation). */
export function fineTunedFolder(clip: LoadedClip, weights: ClipWeights, name = 'aos-workbench/fine-tuned'): ClipFolderFiles {
  return buildClipFolder(clip.config, {
    weights, tokenizer: clip.tokenizerJson, name, imageMean: clip.constants.mean, imageStd: clip.constants.std,
  }).files;
}
