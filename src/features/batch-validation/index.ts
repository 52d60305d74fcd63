import * as vscode from 'vscode';
import type { FeatureRegistration } from '../../services';
import { registerAllProblems } from './allProblems';
import { registerFixes } from './fixes';
import { registerHeaderHover } from './hover';
import { registerLanguageAssociation } from './languageAssociation';
import { registerValidateFile } from './validateFile';

/** Batch files: problems as you type, quick fixes and fix-all, header hovers, validation from disk. */
export const register: FeatureRegistration = (_context, services) => {
  const problems = services.batchProblems;
  return vscode.Disposable.from(
    registerLanguageAssociation(),
    registerFixes(problems),
    registerHeaderHover(),
    registerValidateFile(problems, services),
    registerAllProblems(problems),
  );
};
