import * as vscode from 'vscode';
import type { FeatureRegistration } from '../services';
import { registerAllProblems } from './allProblems';
import { registerFixes } from './fixes';
import { registerHeaderHover } from './hover';
import { registerLanguageAssociation } from './languageAssociation';
import { BatchProblems } from './problems';
import { registerValidateFile } from './validateFile';

/** Batch files: problems as you type, quick fixes and fix-all, header hovers, validation from disk. */
export const register: FeatureRegistration = (_context, services) => {
  const problems = new BatchProblems(services.log);
  return vscode.Disposable.from(
    problems,
    registerLanguageAssociation(),
    registerFixes(problems),
    registerHeaderHover(),
    registerValidateFile(problems, services),
    registerAllProblems(problems),
  );
};
