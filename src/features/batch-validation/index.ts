import * as vscode from 'vscode';
import { onKernelFallback } from '../../core/batch/kernelFallback';
import type { FeatureRegistration } from '../../services';
import { registerAllProblems } from './allProblems';
import { registerFixes } from './fixes';
import { registerHeaderHover } from './hover';
import { registerLanguageAssociation } from './languageAssociation';
import { registerValidateFile } from './validateFile';

/** Batch files: problems as you type, quick fixes and fix-all, header hovers, validation from disk. */
export const register: FeatureRegistration = (_context, services) => {
  const problems = services.batchProblems;
  // Validation from disk without its WebAssembly kernel, or on one thread: exact, only slower.
  const fallbacks = onKernelFallback((fallback) => services.log.warn(fallback.message));
  return vscode.Disposable.from(
    new vscode.Disposable(fallbacks),
    registerLanguageAssociation(),
    registerFixes(problems),
    registerHeaderHover(),
    registerValidateFile(problems, services),
    registerAllProblems(problems),
  );
};
