#!/usr/bin/env python3
"""Builds the compatibility corpus: each case below is written to tests/compat/<name>/
and run with REAL ansible-playbook; its exit code, recap counts, the output fragments
listed here (checked against Ansible's output first) and the files it produced become
the case's `expect`. hotplay must then match them (tests/compat.rs).

Usage: python3 -m venv /tmp/ansible-venv && /tmp/ansible-venv/bin/pip install 'ansible-core>=2.16,<2.18'
       python3 tests/compat/generate.py [/tmp/ansible-venv] [--only REGEX] [--show]
(--only regenerates the cases whose name matches REGEX; --show prints Ansible's output.)
"""
import os, re, shutil, subprocess, sys, tempfile, textwrap

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
VENV = next((a for a in ARGS if os.path.isdir(a)), "/tmp/ansible-venv")
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
SHOW = "--show" in sys.argv
HERE = os.path.dirname(os.path.abspath(__file__))
P = "- hosts: all\n  gather_facts: false\n"

OUT244 = ['"msg": "2024-01-02 03:04:05 3"', '"msg": "97445.0 1 -2 days, 20:55:55"', "time data 'x' does not match format '%Y-%m-%d %H:%M:%S'", '"msg": "1970-01-01 01:00"', '"msg": "a\\\\.b\\\\*c a\\\\.b"', '"msg": "(\'/x/y.tar\', \'.gz\') /etc/hosts b/c True /c/d"', '"msg": "[(1, \'a\'), (1, \'b\'), (2, \'a\'), (2, \'b\')] 6 [(1, 2), (1, 3), (2, 3)]"', '"msg": "[(1, \'a\'), (2, \'b\')] [(1, \'a\'), (2, \'-\'), (3, \'-\')]"', '"msg": [\n        [\n            1,\n            "a"\n        ],\n        [\n            2,\n            "b"\n        ]\n    ]', '"msg": [\n        "x",\n        "y",\n        "z"\n    ]', '"msg": "3 [5, 2, 1, 4, 3] 34 5 [\'q\', \'r\', \'s\', \'p\']"', '"msg": "{\'name\': \'a\', \'age\': 3, \'groups\': [\'x\', \'y\']} {\'name\': \'b\', \'age\': 9, \'groups\': [\'z\']} 3"', '"msg": "2.0 2.0794415416798357 1024.0 3.0 4.0"', '"msg": "1.00 MB 1.46 Kb 0.01 KB 1572864 10485760 2048"', '"msg": "[\'a\', \'c\'] [\'h1\']"', 'need nope', "Mandatory variable 'nope'  not defined.", '"msg": "int str list dict float bool NoneType"', '"msg": "True True True False True False"', '"msg": "True True True True True False"', '"msg": "True True True True True"', '"msg": "#', '# hello', '# world', '"msg": "/*', '*/ ;', '; x', '% x', '"msg": "$ANSIBLE_VAULT;1.2;AES256;filter_default', '636162333262346465333739353264663831623665663231', ' secret plain"']

OUT253 = ['stray. Supported parameters include: req (req_alias).', '"msg": "q-main"', '"msg": "ok x"', '"msg": "ok good"', '"value of mode must be one of: strict, any, off, got: bogus"', '"Elements value for option \'nums\' is of type <class \'str\'> and we were unable to convert to int: <class \'str\'> cannot be converted to an int"', '"argument \'port\' is of type <class \'str\'> found in \'conf\'. and we were unable to convert to int: <class \'str\'> cannot be converted to an int"', '"conf.other. Supported parameters include: host, port."', '"Elements value for option \'srv\' is of type <class \'int\'> and we were unable to convert to dict: <class \'int\'> cannot be converted to a dict"', '"value of \'conf\' must be of type dict or list of dicts"', '"missing required arguments: n found in srv"', '"internal error: required and default are mutually exclusive for x"', '"msg": [\n        "dictionary requested, could not parse JSON or key=value",\n        "argument \'conf\' is of type']

CASES = [
    # A notify naming no handler stops the run when the task notifies (ERROR_ON_MISSING_HANDLER).
    dict(name="255-missing-handler-stops-the-run", play=P + "  tasks:\n    - include_role: name=app\n    - command: 'true'\n      notify: nope handler\n    - debug: msg=after\n", files_in={"roles/app/tasks/main.yml": "- debug: msg=quiet\n"}, err=["ERROR! The requested handler 'nope handler' was not found in either the main handlers list nor in the listening handlers list"], not_out=['"msg": "after"']),
    # [WARNING] lines wrapped as ansible-core's display wraps them (textwrap at 79 columns
    # when stdout is no terminal); a condition with {{ }} warns; each text once.
    dict(name="254-warnings-wrapped", play=P + "  vars:\n    x: true\n  tasks:\n    - debug: msg=\"{{ query('file', 'a-rather-long-file-name-that-does-not-exist.txt', errors='warn') }}\"\n    - debug: msg=hi\n      when: \"{{ x }}\"\n    - debug: msg=again\n      when: \"{{ x }}\"\n      changed_when: \"{{ not x }}\"\n", err=["[WARNING]: Lookup failed but the error is being ignored: The 'file' lookup had\nan issue accessing the file 'a-rather-long-file-name-that-does-not-exist.txt'.\nfile not found, use -vvvvv to see paths searched\n", "[WARNING]: conditional statements should not include jinja2 templating\ndelimiters such as {{ }} or {% %}. Found: {{ x }}\n[WARNING]: conditional statements should not include jinja2 templating\ndelimiters such as {{ }} or {% %}. Found: {{ not x }}\n"], out=['"msg": "again"']),
    # Role argument specs as ansible-core checks them: aliases, choices, elements, nested
    # options, text turned into lists and dicts (k=v, JSON), a dict option's shape checked first,
    # include_role vars never 'unsupported', a roles: entry's keys are; broken specs.
    dict(name="253-role-argument-specs-breadth", play='- hosts: all\n  gather_facts: false\n  roles:\n    - role: q\n      req_alias: given\n      stray: 1\n      ignore_errors: true\n  tasks:\n    - block:\n        - include_role: name=r\n          vars: {e: 1, a: 1, b: 2, c: 1}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, mode: strict}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, mode: bogus}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, nm: x, title: y}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, nums: [1, \'2\', x]}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, conf: {port: nope, extra: 1}}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, srv: [{p: 2}, {n: a, p: x}]}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, nm: good, nums: \'1,2\', srv: [{n: a}], conf: {host: h}}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, nums: \'a,b\', conf: \'port=x, other=1\', srv: x}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, conf: \'x\', srv: [5]}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, nums: 5, conf: \'{"host": "j"}\'}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=r\n          vars: {f: 1, unknown1: 1, mode: \'off\'}\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n    - block:\n        - include_role: name=q tasks_from=bad\n      rescue:\n        - debug: msg="{{ ansible_failed_result.argument_errors }}"\n', files_in={'roles/r/meta/argument_specs.yml': 'argument_specs:\n  main:\n    short_description: Main\n    mutually_exclusive: [[a, b]]\n    required_together: [[c, d]]\n    required_one_of: [[e, f]]\n    required_if:\n      - [mode, strict, [g]]\n      - [mode, any, [g, h], true]\n    required_by: {c: [e]}\n    options:\n      a: {}\n      b: {}\n      c: {}\n      d: {}\n      e: {}\n      f: {}\n      g: {}\n      h: {}\n      mode: {choices: [strict, any, "off"]}\n      name: {aliases: [nm, title], type: str}\n      secret: {no_log: true, type: str, choices: [s1, s2]}\n      nums: {type: list, elements: int}\n      conf:\n        type: dict\n        apply_defaults: true\n        options:\n          port: {type: int, default: 80}\n          host: {type: str}\n      srv:\n        type: list\n        elements: dict\n        options:\n          n: {type: str, required: true}\n          p: {type: int, default: 1}\n', 'roles/r/tasks/main.yml': '- debug: msg="ok {{ nm | default(title | default(\'-\')) }}"\n', 'roles/q/meta/argument_specs.yml': 'argument_specs:\n  main:\n    options:\n      req:\n        required: true\n        aliases: [req_alias]\n  bad:\n    options:\n      x:\n        required: true\n        default: 1\n      y:\n        aliases: yy\n', 'roles/q/tasks/main.yml': '- debug: msg=q-main\n', 'roles/q/tasks/bad.yml': '- debug: msg=q-bad\n'}, out=OUT253),
    # The vars of an import_role/include_role task reach the role's tasks and handlers,
    # over the role's vars/main.yml; k=v role task arguments.
    dict(name="252-role-task-vars", play=P + "  tasks:\n    - import_role: name=app tasks_from=v\n      vars: {p: 1}\n    - include_role: name=app tasks_from=v\n      vars: {p: 2}\n    - include_role:\n        name: app\n        tasks_from: v\n      vars: {p: 4}\n    - import_role: name=app tasks_from=v\n    - block:\n        - import_role: name=app tasks_from=v handlers_from=h\n      vars: {p: 5, q: blockq}\n", files_in={"roles/app/vars/main.yml": "p: rolevar\n", "roles/app/defaults/main.yml": "q: dq\n", "roles/app/tasks/v.yml": "- command: 'true'\n  notify: hh\n  changed_when: p == 5\n- debug: msg=\"p={{ p }} q={{ q }}\"\n", "roles/app/handlers/h.yml": "- name: hh\n  debug: msg=\"handler p={{ p }} q={{ q }}\"\n"}, out=['"msg": "p=1 q=dq"', '"msg": "p=2 q=dq"', '"msg": "p=4 q=dq"', '"msg": "p=rolevar q=dq"', '"msg": "p=5 q=blockq"', '"msg": "handler p=5 q=blockq"']),
    # Notifications resolve when handlers flush: to the last loaded copy of a role's
    # handler then (its vars), a handler notifying another runs it in the same flush;
    # set_fact turns yes/no/true/false strings into booleans.
    dict(name="251-handlers-resolve-at-flush", play=P + "  handlers:\n    - name: play h\n      command: 'true'\n      notify: chained\n    - name: chained\n      debug: msg=chained\n  tasks:\n    - import_role: name=app\n      vars: {p: 1}\n    - command: 'true'\n      notify: play h\n    - meta: flush_handlers\n    - import_role: name=app\n      vars: {p: 3}\n    - include_role: name=app tasks_from=quiet\n      vars: {p: 2}\n    - set_fact:\n        a: 'YES'\n        b: 'No'\n        c: yes1\n        d: \"{{ 'true' }}\"\n    - debug: msg=\"{{ a }} {{ b }} {{ c }} {{ d }}\"\n", files_in={"roles/app/handlers/main.yml": "- name: app restart\n  debug: msg=\"restarted {{ p }}\"\n", "roles/app/tasks/main.yml": "- command: 'true'\n  notify: app restart\n", "roles/app/tasks/quiet.yml": "- debug: msg=quiet\n"}, out=['"msg": "chained"', '"msg": "restarted 3"', '"msg": "restarted 2"', '"msg": "True False yes1 True"']),
    # A role's handlers loaded by two role calls run once (the last loaded with a name wins;
    # listeners once per name); two play handlers of one name in one block: only the first runs.
    dict(name="250-role-handlers-once", play=P + "  handlers:\n    - name: dup\n      debug: msg='first dup'\n    - name: dup\n      debug: msg='second dup'\n    - name: l1\n      listen: topic\n      debug: msg=l1\n    - name: l2\n      listen: topic\n      debug: msg=l2\n    - debug: msg=unnamed\n      listen: topic\n  tasks:\n    - import_role: name=app\n    - include_role: name=app tasks_from=other public=true\n    - command: 'true'\n      notify: [dup, topic, 'app : app restart']\n    - debug: msg=\"{{ from_other }}\"\n", files_in={"roles/app/handlers/main.yml": "- name: app restart\n  debug: msg=restarted\n- name: app listener\n  listen: app topic\n  debug: msg=heard\n", "roles/app/tasks/main.yml": "- command: 'true'\n  notify: app restart\n- command: 'true'\n  notify: app topic\n", "roles/app/tasks/other.yml": "- command: 'true'\n  notify: [app restart, 'app : app topic']\n- set_fact: from_other=yes\n"}, out=['"msg": "restarted"', '"msg": "heard"', '"msg": "first dup"', '"msg": "l1"', '"msg": "l2"', '"msg": "unnamed"', "RUNNING HANDLER [app : app restart]", '"msg": true']),
    # vars_prompt without a terminal: defaults, a warning, None without a default; extra vars win.
    dict(name="247-vars-prompt-non-interactive", play="- hosts: all\n  gather_facts: false\n  vars_prompt:\n    - name: answer\n      prompt: What?\n      default: forty\n      private: false\n    - name: nodefault\n      prompt: Give\n    - name: given\n      prompt: Skipped\n  tasks:\n    - debug: msg=\"{{ answer }} [{{ nodefault }}] {{ given }}\"\n", args=["-e", "given=from-extra"], out=['"msg": "forty [None] from-extra"']),
    # A playbook that cannot be loaded exits 4 (ansible-playbook's parser-error code).
    dict(name="248-load-error-exit-code", play="- hosts: all\n  bogus_keyword: 1\n  tasks: []\n"),
    # Lookups of ansible.builtin: items/list/dict/indexed_items/sequence/subelements/nested/
    # together/first_found/file/fileglob/lines/pipe/env/template/vars/varnames/
    # inventory_hostnames/random_choice/csvfile/ini/password (seeded as Python), errors=.
    dict(name="246-lookups-breadth", files_in={'files/lines.txt': 'l1\nl2\n', 'files/data.csv': 'name,age\nbob,30\nann,25\n', 'files/c.ini': '[sec]\nkey=val\n[other]\nkey=o\n', 'templates/t.j2': 'x={{ xx }}\n', 'files/a.txt': 'hi\n', 'files/b.txt': 'b\n'}, play='- hosts: all\n  gather_facts: false\n  vars:\n    xx: 5\n    d: {a: 1, b: 2}\n    users: [{name: u1, keys: [k1, k2]}, {name: u2, keys: [k3]}]\n  tasks:\n    - debug: msg="{{ lookup(\'items\', [1, [2, 3]]) }} {{ query(\'items\', [1, [2]]) }} {{ q(\'list\', [1, [2]]) }} {{ lookup(\'list\', [1, 2], wantlist=True) }}"\n    - debug: msg="{{ lookup(\'dict\', d) }} {{ query(\'indexed_items\', [\'a\',\'b\']) }}"\n    - debug: msg="{{ query(\'sequence\', \'start=1 end=5\') }} {{ query(\'sequence\', \'start=0 end=10 stride=5 format=x%02d\') }} {{ query(\'sequence\', \'count=3\') }}"\n    - debug: msg="{{ query(\'subelements\', users, \'keys\') | map(\'last\') | list }} {{ query(\'nested\', [1,2], [\'a\',\'b\']) }} {{ query(\'together\', [1,2], [\'a\']) }}"\n    - debug: msg="{{ lookup(\'first_found\', [\'nope.txt\', \'a.txt\']) | basename }} {{ lookup(\'first_found\', files=[\'nope\', \'b.txt\'], paths=[\'files\']) | basename }} {{ lookup(\'first_found\', [\'zz\'], skip=True) }}"\n    - debug: msg="{{ lookup(\'file\', \'a.txt\') }} {{ lookup(\'fileglob\', \'files/*.txt\') | split(\',\') | map(\'basename\') | sort }} {{ query(\'lines\', \'cat files/lines.txt\') }}"\n    - debug: msg="{{ lookup(\'pipe\', \'echo piped\') }} {{ lookup(\'env\', \'HOME\') is string }} {{ lookup(\'template\', \'t.j2\') }} {{ lookup(\'vars\', \'xx\') }} {{ query(\'varnames\', \'^x\') }}"\n    - debug: msg="{{ query(\'inventory_hostnames\', \'all\') }} {{ lookup(\'random_choice\', \'a\') }}"\n    - debug: msg="{{ lookup(\'csvfile\', \'bob\', file=\'files/data.csv\', delimiter=\',\', col=1) }} {{ lookup(\'ini\', \'key\', section=\'other\', file=\'files/c.ini\') }} {{ lookup(\'ini\', \'nokey\', section=\'sec\', file=\'files/c.ini\', default=\'dflt\') }}"\n    - debug: msg="{{ lookup(\'password\', playbook_dir + \'/pw.txt\', length=12, chars=[\'digits\']) | length }} {{ lookup(\'password\', playbook_dir + \'/pw.txt\') == lookup(\'file\', playbook_dir + \'/pw.txt\') }}"\n    - debug: msg="{{ lookup(\'file\', \'nope\', errors=\'ignore\') }} {{ query(\'file\', \'nope\', errors=\'warn\') }}"\n    - debug: msg="{{ lookup(\'nope_plugin\', \'x\', errors=\'ignore\') | default(\'none\') }}"\n      ignore_errors: true\n    - debug: msg="{{ query(\'sequence\', \'start=5 end=1\') }}"\n      ignore_errors: true\n    - debug: msg="{{ query(\'sequence\', \'count=2 start=5 stride=5\') }} {{ query(\'sequence\', \'count=0\') }} {{ query(\'sequence\', \'4-8/2:h%d\') }}"\n    - debug: msg="{{ lookup(\'password\', \'/dev/null\', length=8, seed=\'s1\', chars=[\'ascii_lowercase\']) | hash(\'sha1\') == \'srainvot\' | hash(\'sha1\') }} {{ lookup(\'password\', \'pw2 length=6 chars=digits seed=7\') | length }}"\n    - debug: msg="{{ lookup(\'file\', \'nope\') }}"\n      ignore_errors: true\n    - debug: msg="{{ item }}"\n      with_fileglob: [\'files/*.csv\']\n    - debug: msg="{{ item.0 }}-{{ item.1 }}"\n      with_nested: [[1], [a, b]]\n    - debug: msg="{{ item }}"\n      with_lines: cat files/lines.txt\n    - debug: msg="{{ item }}"\n      with_random_choice: [only]\n    - debug: msg="{{ item.key }}"\n      with_dict: "{{ d }}"\n    - debug: msg="{{ item }}"\n      with_first_found: [nope, files/b.txt]\n', out=['"msg": "[1, [2, 3]] [1, [2]] [[1, [2]]] [[1, 2]]"', '"msg": "[{\'key\': \'a\', \'value\': 1}, {\'key\': \'b\', \'value\': 2}] [(0, \'a\'), (1, \'b\')]"', '"msg": "[\'1\', \'2\', \'3\', \'4\', \'5\'] [\'x00\', \'x05\', \'x10\'] [\'1\', \'2\', \'3\']"', '"msg": "[\'k1\', \'k2\', \'k3\'] [[1, \'a\'], [1, \'b\'], [2, \'a\'], [2, \'b\']] [[1, \'a\'], [2, None]]"', '"msg": "a.txt b.txt []"', '"msg": "hi [\'a.txt\', \'b.txt\', \'lines.txt\'] [\'l1\', \'l2\']"', '"msg": "[\'h1\'] a"', '"msg": "30 o dflt"', '"msg": "12 True"', '"msg": " []"', '"msg": "[\'5\', \'10\'] [] [\'h4\', \'h6\', \'h8\']"', '"msg": "True 6"', '"msg": "1-a"', '"msg": "1-b"', '"msg": "l1"', '"msg": "l2"', '"msg": "only"', '"msg": "a"', '"msg": "b"', 'lookup plugin (nope_plugin) not found', 'to count backwards make stride negative', "The 'file' lookup had an issue accessing the file 'nope'. file not found, use -vvvvv to see paths searched", "ok: [h1] => (item=[1, 'a']) => {", "ok: [h1] => (item={'key': 'b', 'value': 2}) => {", '"msg": "piped True x=5']),
    # include_vars as ansible-core's action: dir walk order, depth, files_matching, ignore_files,
    # extensions, name, hash_behaviour, its argument checks and failure messages.
    dict(name="245-include-vars-dir-options", files_in={'vars/a.yml': 'a: 1\nshared: {x: 1, l: [1]}\n', 'vars/b.yaml': 'b: 2\nshared: {y: 2, l: [2]}\n', 'vars/sub/c.yml': 'c: 3\n', 'vars/sub/deeper/d.yml': 'd: 4\n', 'vars/ignored.yml': 'ign: 1\n', 'vars/j.json': '{"j": 5}\n'}, play='- hosts: all\n  gather_facts: false\n  tasks:\n    - include_vars: dir=vars\n      register: r\n    - debug: msg="{{ r.ansible_included_var_files | map(\'basename\') | list }} {{ shared }} {{ r.changed }}"\n    - include_vars: dir=vars name=bag ignore_files=ignored.yml\n    - debug: msg="{{ bag | dict2items | map(attribute=\'key\') | sort }}"\n    - include_vars: dir=vars files_matching=\'^[ab]\\.\' name=m\n    - debug: msg="{{ m.shared }} {{ m | dict2items | map(attribute=\'key\') | list }}"\n    - include_vars:\n        dir: vars\n        depth: 1\n        extensions: [yml]\n        ignore_unknown_extensions: true\n      register: d1\n    - debug: msg="{{ d1.ansible_included_var_files | map(\'basename\') | list }} {{ d1.ansible_facts }}"\n    - include_vars: file=vars/j.json name=one\n    - debug: msg="{{ one }}"\n    - include_vars: vars/b.yaml\n      register: rb\n    - debug: msg="{{ rb.ansible_facts }} {{ rb.changed }}"\n    - file: path={{ playbook_dir }}/vars/{{ item }} state=directory\n      loop: [more, zz]\n    - copy:\n        dest: "{{ playbook_dir }}/vars/more/m.yml"\n        content: "shared: {y: 3, z: [9]}\\n"\n    - include_vars: file=vars/more/m.yml hash_behaviour=merge\n    - debug: msg="{{ shared }}"\n    - include_vars: file=vars/more/m.yml hash_behaviour=replace\n    - debug: msg="{{ shared }}"\n    - include_vars: vars/nope.yml\n      ignore_errors: true\n    - include_vars: dir=vars/nope\n      ignore_errors: true\n    - include_vars: dir=vars bogus=1\n      ignore_errors: true\n    - include_vars: dir=vars file=x.yml\n      ignore_errors: true\n    - include_vars: file=vars/a.yml hash_behaviour=merge\n      ignore_errors: true\n    - copy:\n        dest: "{{ playbook_dir }}/vars/zz/list.yml"\n        content: "- a\\n"\n    - copy:\n        dest: "{{ playbook_dir }}/vars/zz/x.txt"\n        content: "x\\n"\n    - include_vars: dir=vars/zz ignore_files=\'list.yml\'\n      ignore_errors: true\n    - include_vars: dir=vars/zz extensions=[txt,yml] files_matching=list\n      ignore_errors: true\n', out=['"msg": "[\'a.yml\', \'b.yaml\', \'ignored.yml\', \'j.json\', \'c.yml\', \'d.yml\'] {\'y\': 2, \'l\': [2]} False"', '"msg": "{\'y\': 2, \'l\': [2]} [\'a\', \'shared\', \'b\']"', '"msg": "[\'a.yml\', \'ignored.yml\'] {\'a\': 1, \'shared\': {\'x\': 1, \'l\': [1]}, \'ign\': 1}"', '"msg": "{\'b\': 2, \'shared\': {\'y\': 2, \'l\': [2]}} False"', '"message": "Could not find or access \'vars/nope.yml\'', 'directory does not exist"}', '"msg": "bogus is not a valid option in include_vars"', '"msg": "You are mixing file only and dir only arguments, these are incompatible"', '"msg": "failed to combine variables, expected dicts but got a \'int\' and a \'int\': ', 'x.txt does not have a valid extension: yaml, yml, json"}', 'list.yml does not have a valid extension: [, t, x, t, ,, y, m, l, ]"}']),
    # Jinja breadth: the ansible.builtin filters and tests playbooks use, seeded random as
    # Python's Mersenne Twister, itertools tuples, to_datetime arithmetic, vault/unvault.
    dict(name="244-jinja-filters-tests-breadth", files_in={"afile": "x\n"}, play='- hosts: all\n  gather_facts: false\n  vars:\n    users: [{name: a, age: 3, groups: [x, y]}, {name: b, age: 9, groups: [z]}]\n    t1: \'2024-01-02 03:04:05\'\n  tasks:\n    - file: path={{ playbook_dir }}/alink src=afile state=link\n    - file: path={{ playbook_dir }}/adir state=directory\n    - debug: msg="{{ t1 | to_datetime }} {{ (\'02/Mar/2021:10:00\' | to_datetime(\'%d/%b/%Y:%H:%M\')).month }}"\n    - debug: msg="{{ ((t1 | to_datetime) - (\'2024-01-01 00:00:00\' | to_datetime)).total_seconds() }} {{ ((t1 | to_datetime) - (\'2024-01-01 00:00:00\' | to_datetime)).days }} {{ (\'2024-01-01 00:00:00\' | to_datetime) - (t1 | to_datetime) }}"\n    - debug: msg="{{ \'x\' | to_datetime }}"\n      ignore_errors: true\n    - debug: msg="{{ \'%Y-%m-%d %H:%M\' | strftime(3600, utc=true) }}"\n    - debug: msg="{{ \'a.b*c\' | regex_escape }} {{ \'a.b\' | regex_escape(re_type=\'posix_basic\') }}"\n    - debug: msg="{{ \'/x/y.tar.gz\' | splitext }} {{ \'/etc/../etc/hosts\' | realpath }} {{ \'/a/b/c\' | relpath(\'/a\') }} {{ \'~/x\' | expanduser == lookup(\'env\',\'HOME\') + \'/x\' }} {{ [\'a\', \'b\', \'/c\', \'d\'] | path_join }}"\n    - debug: msg="{{ [1,2] | product([\'a\',\'b\']) | list }} {{ [1,2,3] | permutations(2) | list | length }} {{ [1,2,3] | combinations(2) | list }}"\n    - debug: msg="{{ [1,2,3] | zip([\'a\',\'b\']) | list }} {{ [1,2,3] | zip_longest([\'a\'], fillvalue=\'-\') | list }}"\n    - debug: msg="{{ [1,2] | zip([\'a\',\'b\']) | list }}"\n    - debug: msg="{{ users | subelements(\'groups\') | map(\'last\') | list }}"\n    - debug: msg="{{ [1,2,3,4,5] | random(seed=\'x\') }} {{ [1,2,3,4,5] | shuffle(seed=\'x\') }} {{ 100 | random(seed=\'a\') }} {{ 10 | random(start=5, step=2, seed=3) }} {{ [\'p\',\'q\',\'r\',\'s\'] | shuffle(seed=inventory_hostname) }}"\n    - debug: msg="{{ users | min(attribute=\'age\') }} {{ users | max(attribute=\'age\') }} {{ [3,1,2] | max }}"\n    - debug: msg="{{ 100 | log(10) }} {{ 8 | log }} {{ 2 | pow(10) }} {{ 27 | root(3) }} {{ 16 | root }}"\n    - debug: msg="{{ 1048576 | human_readable }} {{ 1500 | human_readable(isbits=true) }} {{ 10 | human_readable(unit=\'K\') }} {{ \'1.5M\' | human_to_bytes }} {{ \'10Mb\' | human_to_bytes(isbits=true) }} {{ \'2 KB\' | human_to_bytes }}"\n    - debug: msg="{{ \'hello\\nworld\' | comment }}"\n    - debug: msg="{{ \'x\' | comment(\'c\', prefix=\'/*\', postfix=\'*/\') }} {{ \'x\' | comment(decoration=\'; \') }} {{ \'x\' | comment(\'erlang\') }}"\n    - debug: msg="{{ [0, 2] | map(\'extract\', [\'a\',\'b\',\'c\']) | list }} {{ [\'h1\'] | map(\'extract\', hostvars, \'inventory_hostname\') | list }}"\n    - debug: msg="{{ nope | mandatory(\'need nope\') }}"\n      ignore_errors: true\n    - debug: msg="{{ nope | mandatory }}"\n      ignore_errors: true\n    - debug: msg="{{ 1 | type_debug }} {{ \'a\' | type_debug }} {{ [1] | type_debug }} {{ {} | type_debug }} {{ 1.5 | type_debug }} {{ true | type_debug }} {{ none | type_debug }}"\n    - debug: msg="{{ (playbook_dir ~ \'/afile\') is file }} {{ (playbook_dir ~ \'/adir\') is directory }} {{ (playbook_dir ~ \'/alink\') is link }} {{ (playbook_dir ~ \'/nope\') is exists }} {{ \'/x\' is abs }} {{ \'x\' is abs }}"\n    - debug: msg="{{ [1] is subset([1,2]) }} {{ [1,2] is superset([1]) }} {{ [1,2] is contains(2) }} {{ \'yes\' is truthy }} {{ 0 is falsy }} {{ \'off\' is truthy(convert_bool=true) }}"\n    - debug: msg="{{ \'1.0.0\' is version(\'1.0\', \'>\') }} {{ \'1.2.3\' is version(\'1.10\', \'lt\', version_type=\'loose\') }} {{ \'1.0rc1\' is version(\'1.0\', \'lt\', version_type=\'pep440\') }} {{ \'1.2.3-beta\' is version(\'1.2.3\', \'lt\', version_type=\'semver\') }} {{ \'2.5.3\' is version(\'2.5.10\', \'lt\', version_type=\'strict\') }}"\n    - debug: msg="{{ \'secret\' | vault(\'pw\', salt=\'abc\') }} {{ (\'secret\' | vault(\'pw\')) | unvault(\'pw\') }} {{ \'plain\' | unvault(\'pw\') }}"\n', out=OUT244),
    # add_host: once for the batch (its result registered on the first host only), groups
    # created, vars set, changed only when the inventory changes; later plays see the hosts.
    dict(name="240-add-host", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n[web]\nh2\n", play=P + "  tasks:\n    - add_host:\n        name: new1\n        groups: [made, other]\n        ansible_connection: local\n        color: blue\n    - add_host: name=new1 groups=made ansible_connection=local color=blue\n      register: again\n    - debug: msg=\"{{ again.changed }} {{ groups['made'] }} {{ groups['all'] | length }} {{ hostvars['new1'].color }}\"\n    - add_host: name={{ item }} groups=looped,web ansible_connection=local\n      loop: [l1, l2]\n    - add_host: name=new1 color=red\n      register: recolored\n    - debug: msg=\"{{ recolored.changed }} {{ recolored.add_host.host_vars }} {{ groups.web }}\"\n      when: inventory_hostname == 'h1'\n- hosts: made:looped\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ inventory_hostname }} {{ group_names }} {{ color | default('-') }}\"\n", out=["changed: [h1]\n\nTASK [add_host] ****************************************************************\nok: [h1]", '"msg": "False [\'new1\'] 3 blue"', "changed: [h1] => (item=l1)", '"msg": "True {\'color\': \'red\'} [\'h2\', \'l1\', \'l2\']"', '"msg": "new1 [\'made\', \'other\'] red"', '"msg": "l2 [\'looped\', \'web\'] -"']),
    # group_by: per host, spaces become dashes, parents, group_vars of the new group apply
    # from the next task; changed only the first time.
    dict(name="241-group-by", inventory="h1 ansible_connection=local os=deb\nh2 ansible_connection=local os=rhel\n[web]\nh2\n", play=P + "  tasks:\n    - group_by: key=os_{{ os }}\n      register: gb\n    - group_by: key=os_{{ os }}\n      register: again\n    - debug: msg=\"{{ gb.changed }} {{ again.changed }} {{ gb.add_group }} {{ gb.parent_groups }} {{ group_names }} {{ gv | default('none') }}\"\n    - group_by:\n        key: \"tier {{ inventory_hostname }}\"\n        parents: [parent_a, web]\n      when: inventory_hostname == 'h1'\n    - group_by: key=solo parents=top\n      when: inventory_hostname == 'h2'\n    - group_by: {}\n      ignore_errors: true\n      when: inventory_hostname == 'h1'\n- hosts: os_deb:solo\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ inventory_hostname }} {{ group_names }} {{ gv | default('none') }} {{ groups.parent_a | default([]) }} {{ groups.web }} {{ groups.top }}\"\n", files_in={"group_vars/os_deb.yml": "gv: from_dyn_group\n"}, out=['"msg": "True False os_deb [\'all\'] [\'os_deb\'] from_dyn_group"', '"msg": "True False os_rhel [\'all\'] [\'os_rhel\', \'web\'] none"', "the 'key' param is required when using group_by", '"msg": "h1 [\'os_deb\', \'parent_a\', \'tier-h1\', \'web\'] from_dyn_group [\'h1\'] [\'h2\', \'h1\'] [\'h2\']"', '"msg": "h2 [\'os_rhel\', \'solo\', \'top\', \'web\'] none [\'h1\'] [\'h2\', \'h1\'] [\'h2\']"']),
    # tempfile: file 0600 / directory 0700, prefix and suffix, in path; errors; skipped in check mode.
    dict(name="242-tempfile", play=P + "  tasks:\n    - tempfile:\n      register: t1\n    - tempfile: state=directory suffix=.build prefix=hp_ path={{ playbook_dir }}\n      register: t2\n    - debug: msg=\"{{ t1 | dict2items | map(attribute='key') | list }} {{ t1.state }} {{ t1.mode }} {{ t2.path | basename | regex_replace('^hp_[a-z0-9_]{8}\\\\.build$', 'X') }} {{ t2.mode }} {{ t2.state }} {{ t1.path is match('/tmp/ansible\\\\.') }} {{ t2.path | dirname == playbook_dir }}\"\n    - file: path={{ item }} state=absent\n      loop: ['{{ t1.path }}', '{{ t2.path }}']\n    - tempfile: path=/nonexistent/dir\n      ignore_errors: true\n    - tempfile: state=link\n      ignore_errors: true\n", out=['"msg": "[\'changed\', \'path\', \'uid\', \'gid\', \'owner\', \'group\', \'mode\', \'state\', \'size\', \'failed\'] file 0600 X 0700 directory True True"', "No such file or directory: '/nonexistent/dir/ansible.", "value of state must be one of: file, directory, got: link"]),
    dict(name="243-tempfile-check-mode", play=P + "  tasks:\n    - tempfile:\n      register: t\n    - debug: msg=\"{{ t.skipped }} {{ t.path | default('none') }}\"\n", args=["--check"], out=["skipping: [h1]", '"msg": "True none"']),
    # Output formats users grep: a skipped item's line ends with a space; NO MORE HOSTS LEFT
    # comes (twice) only when max_fail_percentage trips, not when every host failed.
    dict(name="200-output-skipped-item-no-more-hosts", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", play=P + "  max_fail_percentage: 0\n  tasks:\n    - debug: msg={{ item }}\n      loop: [1, 2]\n      when: item == 2\n    - fail: msg=x\n      when: inventory_hostname == 'h1'\n    - debug: msg=after\n", out=["skipping: [h1] => (item=1) \n", "NO MORE HOSTS LEFT *************************************************************\n\nNO MORE HOSTS LEFT"], not_out=['"msg": "after"']),
    # --diff blocks: no before header for a new file, a blank line after each block, the
    # missing-newline marker; one include line names every host that included the file.
    dict(name="202-output-diff-blocks-and-included", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", play=P + "  tasks:\n    - copy: content=\"a\\n\" dest=new-{{ inventory_hostname }}.txt\n      when: inventory_hostname == 'h1'\n    - copy: content=new dest=old.txt\n      when: inventory_hostname == 'h1'\n    - include_tasks: inc.yml\n    - include_tasks: inc.yml\n      loop: [a, b]\n", args=["--diff"], files_in={"old.txt": "old\n", "inc.yml": "- debug: msg=inc\n"}, out=["--- before\n+++ after: new-h1.txt\n@@ -0,0 +1 @@\n+a\n\nchanged: [h1]", "--- before: old.txt\n+++ after: old.txt\n@@ -1 +1 @@\n-old\n+new\n\\ No newline at end of file\n\nchanged: [h1]", "inc.yml for h1, h2\n", "inc.yml for h1, h2 => (item=a)\n"], files=["old.txt"]),
    # -v: the config file line first; debug var says why a variable is not defined.
    dict(name="203-output-verbose-config-and-undefined", play=P + "  vars:\n    d: {a: 1}\n  tasks:\n    - debug: var=nope\n    - debug: var=d.b\n", args=["-v"], out=["No config file found; using defaults\n", "\"nope\": \"VARIABLE IS NOT DEFINED!: 'nope' is undefined\"", "\"d.b\": \"VARIABLE IS NOT DEFINED!: 'dict object' has no attribute 'b'\""]),
    # CALLBACK_RESULT_FORMAT=yaml: multi-line strings as literal blocks, tidied as ansible-core does.
    dict(name="204-output-yaml-literal-blocks", play=P + "  tasks:\n    - command: printf 'a\\nb\\n'\n      register: r\n    - debug:\n        msg: \"{{ item }}\"\n      loop: [\"x \\n y\\t z\\n\\n\", \" lead\\nend\", \"one\"]\n    - debug: var=r.stdout\n", files_in={"ansible.cfg": "[defaults]\ncallback_result_format = yaml\n"}, args=["-v"], out=["    stdout: |-\n        a\n        b\n    stdout_lines: <omitted>", "    msg: |-\n        x\n         y       z\nok: [h1]", "    msg: |4-\n         lead\n        end\n", "ok: [h1] => \n    r.stdout: |-\n"]),
    # setup: gather_subset as ansible-core resolves it (play keyword and task), local facts
    # from fact_path (JSON, INI, an executable, a failing one).
    dict(name="205-setup-gather-subset-local-facts", play="- hosts: all\n  gather_facts: true\n  gather_subset: ['!all', '!min']\n  tasks:\n    - debug: msg=\"{{ ansible_local is defined }} {{ ansible_hostname is defined }}\"\n    - file: path={{ playbook_dir }}/facts.d/{{ item }}.fact mode=0755\n      loop: [c, d]\n    - setup:\n        gather_subset: ['!all']\n        fact_path: \"{{ playbook_dir }}/facts.d\"\n    - debug: msg=\"{{ ansible_local.a.x }} {{ ansible_local.b.sect }} {{ ansible_local.c.made }} {{ ansible_local.d is string }} {{ ansible_interfaces is defined }} {{ ansible_memtotal_mb is defined }} {{ ansible_hostname is defined }}\"\n    - setup:\n        gather_subset: [network]\n        filter: ['ansible_interfaces', 'ansible_local']\n        fact_path: \"{{ playbook_dir }}/facts.d\"\n    - debug: msg=\"{{ ansible_interfaces | length > 0 }} {{ ansible_local.b.sect.key }}\"\n    - setup:\n        gather_subset: [nope]\n      ignore_errors: true\n", files_in={"facts.d/a.fact": "{\"x\": [1, 2]}\n", "facts.d/b.fact": "[sect]\nKey = v1\nother: two\n", "facts.d/c.fact": "#!/bin/sh\necho '{\"made\": \"by a script\"}'\n", "facts.d/d.fact": "#!/bin/sh\necho oops >&2\nexit 3\n"}, out=['"msg": "False False"', '"msg": "[1, 2] {\'key\': \'v1\', \'other\': \'two\'} by a script True False False True"', '"msg": "True v1"', "Bad subset 'nope' given to Ansible. gather_subset options allowed: all, all_ipv4_addresses,"]),
    dict(name="201-output-all-failed-no-banner", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", play=P + "  tasks:\n    - fail: msg=x\n    - debug: msg=after\n" + P + "  tasks:\n    - debug: msg=p2\n", not_out=["NO MORE HOSTS LEFT", '"msg": "p2"']),
    dict(name="010-debug-msg", play=P + "  tasks:\n    - debug: msg=hello\n", out=['"msg": "hello"']),
    dict(name="011-debug-var", play=P + "  vars:\n    x: {a: one}\n  tasks:\n    - debug: var=x.a\n", out=['"x.a": "one"']),
    dict(name="012-when-true-false", play=P + "  tasks:\n    - debug: msg=yes\n      when: 1 == 1\n    - debug: msg=no\n      when: 1 == 2\n", out=["skipping: [h1]"]),
    dict(name="013-when-list-and", play=P + "  vars:\n    a: true\n    b: false\n  tasks:\n    - debug: msg=both\n      when: [a, b]\n    - debug: msg=one\n      when: [a, not b]\n", out=['"msg": "one"'], not_out=['"msg": "both"']),
    dict(name="014-register-command", play=P + "  tasks:\n    - command: echo hi\n      register: r\n    - debug: msg=\"{{ r.stdout }} {{ r.rc }} {{ r.changed }}\"\n", out=['"msg": "hi 0 True"']),
    dict(name="015-shell-pipes", play=P + "  tasks:\n    - shell: echo a b c | wc -w\n      register: r\n    - debug: msg=\"{{ r.stdout | trim }}\"\n", out=['"msg": "3"']),
    dict(name="016-failed-task", play=P + "  tasks:\n    - command: /bin/false\n    - debug: msg=never\n", not_out=['"msg": "never"']),
    dict(name="017-ignore-errors", play=P + "  tasks:\n    - command: /bin/false\n      ignore_errors: true\n    - debug: msg=after\n", out=["...ignoring", '"msg": "after"']),
    dict(name="018-changed-when", play=P + "  tasks:\n    - command: echo x\n      changed_when: false\n    - command: echo y\n      register: r\n      changed_when: \"'y' in r.stdout\"\n"),
    dict(name="019-failed-when", play=P + "  tasks:\n    - shell: exit 2\n      register: r\n      failed_when: r.rc > 2\n    - shell: echo boom\n      register: s\n      failed_when: \"'boom' in s.stdout\"\n"),
    dict(name="020-loop-items", play=P + "  tasks:\n    - debug: msg=\"{{ item }}\"\n      loop: [a, b]\n", out=["ok: [h1] => (item=a)", "ok: [h1] => (item=b)"]),
    dict(name="021-loop-register", play=P + "  tasks:\n    - command: echo {{ item }}\n      loop: [1, 2, 3]\n      register: r\n    - debug: msg=\"{{ r.results | map(attribute='stdout') | join(',') }}\"\n", out=['"msg": "1,2,3"']),
    dict(name="022-loop-when-per-item", play=P + "  tasks:\n    - debug: msg=\"{{ item }}\"\n      loop: [1, 2, 3]\n      when: item != 2\n", out=["skipping: [h1] => (item=2)"]),
    dict(name="023-loop-control", play=P + "  tasks:\n    - debug: msg=\"{{ idx }}:{{ entry.n }}\"\n      loop: [{n: a}, {n: b}]\n      loop_control:\n        loop_var: entry\n        index_var: idx\n        label: \"{{ entry.n }}\"\n", out=["(item=a)", '"msg": "1:b"']),
    dict(name="024-with-items-flatten", play=P + "  tasks:\n    - debug: msg=\"{{ item }}\"\n      with_items:\n        - [1, 2]\n        - 3\n", out=["(item=1)", "(item=3)"]),
    dict(name="025-with-dict", play=P + "  tasks:\n    - debug: msg=\"{{ item.key }}={{ item.value }}\"\n      with_dict: {a: 1, b: 2}\n", out=['"msg": "b=2"']),
    dict(name="026-with-sequence", play=P + "  tasks:\n    - debug: msg=\"{{ item }}\"\n      with_sequence: start=2 end=6 stride=2 format=n%02d\n", out=['"msg": "n06"'], not_out=['"msg": "n03"']),
    dict(name="027-empty-loop", play=P + "  tasks:\n    - debug: msg=\"{{ item }}\"\n      loop: []\n"),
    dict(name="028-until-retries", play=P + "  tasks:\n    - shell: echo x >> {{ playbook_dir }}/out.txt; wc -l < {{ playbook_dir }}/out.txt\n      register: r\n      until: r.stdout | int >= 3\n      retries: 4\n      delay: 0\n    - debug: msg=\"attempts={{ r.attempts }}\"\n", out=["FAILED - RETRYING", '"msg": "attempts=3"']),
    dict(name="029-until-exhausted", play=P + "  tasks:\n    - command: /bin/true\n      register: r\n      until: false\n      retries: 1\n      delay: 0\n"),
    dict(name="030-set-fact", play=P + "  tasks:\n    - set_fact:\n        a: 1\n        b: \"{{ [1, 2] | length }}\"\n    - debug: msg=\"{{ a + b | int }}\"\n", out=['"msg": "3"']),
    dict(name="031-precedence-extra-vars", play=P + "  vars:\n    v: play\n  tasks:\n    - set_fact: {v: fact}\n    - debug: msg=\"{{ v }}\"\n", args=["-e", "v=extra"], out=['"msg": "extra"']),
    dict(name="032-task-vars-over-play", play=P + "  vars:\n    v: play\n  tasks:\n    - debug: msg=\"{{ v }}\"\n      vars: {v: task}\n    - debug: msg=\"{{ v }}\"\n", out=['"msg": "task"', '"msg": "play"']),
    dict(name="033-group-host-vars", play=P + "  tasks:\n    - debug: msg=\"{{ g }} {{ h }} {{ c }}\"\n", inventory="[grp]\nh1 ansible_connection=local\n", files_in={"group_vars/all.yml": "g: all\nc: all\n", "group_vars/grp.yml": "c: grp\n", "host_vars/h1.yml": "h: host\n"}, out=['"msg": "all host grp"']),
    dict(name="034-vars-files", play=P + "  vars_files: [vars/main.yml]\n  tasks:\n    - debug: msg=\"{{ port }}\"\n", files_in={"vars/main.yml": "port: 3323\n"}, out=['3323']),
    dict(name="035-lazy-vars", play=P + "  vars:\n    base: /usr/local/hotdb\n    home: \"{{ base }}/hotdb-server\"\n  tasks:\n    - debug: msg=\"{{ home }}\"\n", out=['"msg": "/usr/local/hotdb/hotdb-server"']),
    dict(name="036-block-rescue", play=P + "  tasks:\n    - block:\n        - command: /bin/false\n      rescue:\n        - debug: msg=\"rescued {{ ansible_failed_result.rc }}\"\n      always:\n        - debug: msg=always\n", out=['"msg": "rescued 1"', '"msg": "always"']),
    dict(name="037-block-always-fails", play=P + "  tasks:\n    - block:\n        - command: /bin/false\n      always:\n        - debug: msg=cleanup\n    - debug: msg=never\n", out=['"msg": "cleanup"'], not_out=['"msg": "never"']),
    dict(name="038-rescue-fails", play=P + "  tasks:\n    - block:\n        - command: /bin/false\n      rescue:\n        - command: /bin/false\n      always:\n        - debug: msg=always\n", out=['"msg": "always"']),
    dict(name="039-block-when", play=P + "  tasks:\n    - block:\n        - debug: msg=a\n        - debug: msg=b\n      when: false\n    - debug: msg=c\n", out=['"msg": "c"']),
    dict(name="040-handlers", play=P + "  tasks:\n    - command: echo 1\n      notify: h\n    - command: echo 2\n      notify: h\n  handlers:\n    - name: h\n      debug: msg=handled\n", out=["RUNNING HANDLER [h]", '"msg": "handled"']),
    dict(name="041-handler-not-notified-when-ok", play=P + "  tasks:\n    - command: echo 1\n      changed_when: false\n      notify: h\n  handlers:\n    - name: h\n      debug: msg=handled\n", not_out=["RUNNING HANDLER"]),
    dict(name="042-handler-listen", play=P + "  tasks:\n    - command: echo 1\n      notify: topic\n  handlers:\n    - name: one\n      debug: msg=one\n      listen: topic\n    - name: two\n      debug: msg=two\n      listen: topic\n", out=['"msg": "one"', '"msg": "two"']),
    dict(name="043-flush-handlers", play=P + "  tasks:\n    - command: echo 1\n      notify: h\n    - meta: flush_handlers\n    - debug: msg=after\n  handlers:\n    - name: h\n      debug: msg=handled\n", out=['"msg": "handled"']),
    dict(name="044-force-handlers", play=P + "  force_handlers: true\n  tasks:\n    - command: echo 1\n      notify: h\n    - command: /bin/false\n  handlers:\n    - name: h\n      debug: msg=handled\n", out=['"msg": "handled"']),
    dict(name="045-tags", play=P + "  tasks:\n    - debug: msg=one\n      tags: [one]\n    - debug: msg=two\n      tags: [two]\n    - debug: msg=always\n      tags: [always]\n", args=["--tags", "two"], out=['"msg": "two"', '"msg": "always"'], not_out=['"msg": "one"']),
    dict(name="046-skip-tags-never", play=P + "  tasks:\n    - debug: msg=one\n      tags: [one]\n    - debug: msg=dbg\n      tags: [never, debug]\n    - debug: msg=plain\n", args=["--skip-tags", "one"], out=['"msg": "plain"'], not_out=['"msg": "dbg"', '"msg": "one"']),
    dict(name="047-check-mode", play=P + "  tasks:\n    - copy:\n        content: \"x\\n\"\n        dest: \"{{ playbook_dir }}/out/x.txt\"\n    - command: touch {{ playbook_dir }}/out/y\n", args=["--check"], pre_dirs=["out"], absent=["out/x.txt", "out/y"]),
    dict(name="048-copy-content", play=P + "  tasks:\n    - copy:\n        content: \"port=3323\\n\"\n        dest: \"{{ playbook_dir }}/out/c.conf\"\n    - copy:\n        content: \"port=3323\\n\"\n        dest: \"{{ playbook_dir }}/out/c.conf\"\n", pre_dirs=["out"], files=["out/c.conf"]),
    dict(name="049-template", play=P + "  vars:\n    ports: [3323, 3325]\n  tasks:\n    - template:\n        src: t.j2\n        dest: \"{{ playbook_dir }}/out/t.txt\"\n", files_in={"templates/t.j2": "{% for p in ports %}\nport={{ p }}\n{% endfor %}\nend\n"}, pre_dirs=["out"], files=["out/t.txt"]),
    dict(name="050-file-states", play=P + "  tasks:\n    - file: path={{ playbook_dir }}/out/d state=directory\n    - file: path={{ playbook_dir }}/out/d/f state=touch\n    - file: path={{ playbook_dir }}/out/gone state=absent\n    - file: path={{ playbook_dir }}/out/d state=directory\n", pre_dirs=["out"]),
    dict(name="051-lineinfile", play=P + "  tasks:\n    - lineinfile:\n        path: \"{{ playbook_dir }}/out/f\"\n        regexp: '^a='\n        line: a=2\n    - lineinfile:\n        path: \"{{ playbook_dir }}/out/f\"\n        line: c=3\n        insertafter: '^a='\n    - lineinfile:\n        path: \"{{ playbook_dir }}/out/f\"\n        regexp: '^b='\n        state: absent\n", files_in={"out/f": "a=1\nb=1\n"}, files=["out/f"]),
    dict(name="052-blockinfile", play=P + "  tasks:\n    - blockinfile:\n        path: \"{{ playbook_dir }}/out/f\"\n        block: |\n          x\n          y\n", files_in={"out/f": "top\n"}, files=["out/f"]),
    dict(name="053-replace", play=P + "  tasks:\n    - replace:\n        path: \"{{ playbook_dir }}/out/f\"\n        regexp: '(\\w+)=old'\n        replace: '\\1=new'\n", files_in={"out/f": "a=old\nb=old\nc=keep\n"}, files=["out/f"]),
    dict(name="054-stat", play=P + "  tasks:\n    - stat: path={{ playbook_dir }}/out/f\n      register: s\n    - stat: path={{ playbook_dir }}/out/none\n      register: n\n    - debug: msg=\"{{ s.stat.exists }} {{ s.stat.isreg }} {{ s.stat.size }} {{ n.stat.exists }}\"\n", files_in={"out/f": "abc"}, out=['"msg": "True True 3 False"']),
    dict(name="055-import-tasks", play=P + "  tasks:\n    - import_tasks: inc.yml\n      vars: {w: imported}\n", files_in={"inc.yml": "- debug: msg=\"{{ w }}\"\n"}, out=['"msg": "imported"']),
    dict(name="056-include-tasks-loop", play=P + "  tasks:\n    - include_tasks: inc.yml\n      loop: [a, b]\n", files_in={"inc.yml": "- debug: msg=\"inc {{ item }}\"\n"}, out=['"msg": "inc a"', '"msg": "inc b"']),
    dict(name="057-roles", play=P + "  roles:\n    - role: r1\n      p: param\n", files_in={"roles/r1/defaults/main.yml": "p: default\nd: dflt\n", "roles/r1/tasks/main.yml": "- debug: msg=\"{{ p }} {{ d }}\"\n"}, out=['"msg": "param dflt"', "TASK [r1 : debug]"]),
    dict(name="058-serial", play="- hosts: all\n  gather_facts: false\n  serial: 2\n  tasks:\n    - debug: msg=\"{{ ansible_play_batch | length }}\"\n", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\nh3 ansible_connection=local\n", out=['"msg": "1"', '"msg": "2"']),
    dict(name="059-serial-batch-fails", play="- hosts: all\n  gather_facts: false\n  serial: 1\n  tasks:\n    - command: /bin/false\n      when: inventory_hostname == 'h1'\n    - debug: msg=\"{{ inventory_hostname }}\"\n", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", not_out=['"msg": "h2"']),
    dict(name="060-max-fail", play="- hosts: all\n  gather_facts: false\n  max_fail_percentage: 49\n  tasks:\n    - command: /bin/false\n      when: inventory_hostname == 'h1'\n    - debug: msg=next\n", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", not_out=['"msg": "next"']),
    dict(name="061-any-errors-fatal", play="- hosts: all\n  gather_facts: false\n  any_errors_fatal: true\n  tasks:\n    - command: /bin/false\n      when: inventory_hostname == 'h2'\n    - debug: msg=next\n", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", not_out=['"msg": "next"']),
    dict(name="062-run-once", play="- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo once\n      run_once: true\n      register: r\n    - debug: msg=\"{{ r.stdout }}\"\n", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n"),
    dict(name="063-hostvars-groups", play="- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ hostvars['h2']['v'] }} {{ groups['db'] | join(',') }} {{ group_names }}\"\n      when: inventory_hostname == 'h1'\n", inventory="[db]\nh1 ansible_connection=local v=1\nh2 ansible_connection=local v=2\n", out=["\"msg\": \"2 h1,h2 ['db']\""]),
    dict(name="064-filters", play=P + "  tasks:\n    - debug: msg=\"{{ 'yes' | bool }} {{ '8' | int + 1 }} {{ none | default('d') }} {{ true | ternary('a','b') }} {{ [3,1,3] | unique | sort }} {{ {'a':1} | combine({'b':2}) | dict2items | length }}\"\n", out=["\"msg\": \"True 9  a [1, 3] 2\""]),
    dict(name="065-regex-filters", play=P + "  tasks:\n    - debug: msg=\"{{ 'hotdb-server-2.5.4-ga-20190812.tar.gz' | regex_replace('^hotdb-server-([0-9.]+)-ga.*$', '\\\\1') }}\"\n", out=['"msg": "2.5.4"']),
    dict(name="066-version-test", play=P + "  tasks:\n    - debug: msg=newer\n      when: \"'2.5.10' is version('2.5.9', '>')\"\n    - debug: msg=older\n      when: \"'2.4.9' is version('2.5.3', '<')\"\n", out=['"msg": "newer"', '"msg": "older"']),
    dict(name="067-assert", play=P + "  tasks:\n    - assert:\n        that: [1 == 1, \"'a' in 'abc'\"]\n    - assert:\n        that: 1 == 2\n        fail_msg: custom failure\n", out=['"msg": "custom failure"']),
    dict(name="068-fail-module", play=P + "  tasks:\n    - fail: msg=\"stop here\"\n      when: true\n", out=['"msg": "stop here"']),
    dict(name="069-environment", play=P + "  environment:\n    GREETING: hi\n  tasks:\n    - shell: echo $GREETING\n      register: r\n    - debug: msg=\"{{ r.stdout }}\"\n", out=['"msg": "hi"']),
    dict(name="070-no-log", play=P + "  tasks:\n    - debug: msg=secret-value\n      no_log: true\n", out=["ok: [h1]"], not_out=["secret-value"]),
    dict(name="071-meta-end-host", play="- hosts: all\n  gather_facts: false\n  tasks:\n    - meta: end_host\n      when: inventory_hostname == 'h1'\n    - debug: msg=\"{{ inventory_hostname }}\"\n", inventory="h1 ansible_connection=local\nh2 ansible_connection=local\n", out=['"msg": "h2"'], not_out=['"msg": "h1"']),
    dict(name="072-delegate-localhost", play=P + "  tasks:\n    - command: echo d\n      delegate_to: localhost\n", out=["[h1 -> localhost]"]),
    dict(name="073-gather-facts", play="- hosts: all\n  tasks:\n    - debug: msg=\"{{ ansible_facts.system }}\"\n", out=["TASK [Gathering Facts]", '"msg": "Linux"']),
    dict(name="074-include-vars", play=P + "  tasks:\n    - include_vars: extra.yml\n    - debug: msg=\"{{ from_file }}\"\n", files_in={"extra.yml": "from_file: loaded\n"}, out=['"msg": "loaded"']),
    dict(name="075-command-creates", play=P + "  tasks:\n    - command: touch {{ playbook_dir }}/out/c\n      args:\n        creates: \"{{ playbook_dir }}/out/c\"\n", files_in={"out/c": ""}),
]


def play(text):
    """A playbook written as an indented block (dedented here)."""
    return textwrap.dedent(text).lstrip("\n")


H2 = "h1 ansible_connection=local\nh2 ansible_connection=local\n"
H4 = H2 + "h3 ansible_connection=local\nh4 ansible_connection=local\n"

CASES += [
    # ---- more modules
    dict(name="076-raw", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - raw: echo raw-out
              register: r
            - debug:
                msg: "{{ r.stdout | trim }} rc={{ r.rc }}"
        """), out=['"msg": "raw-out rc=0"']),
    dict(name="077-script", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - script: s.sh first
              register: r
            - debug:
                msg: "{{ r.stdout | trim }} rc={{ r.rc }}"
            - script: s.sh second
              args:
                creates: "{{ playbook_dir }}/playbook.yml"
        """), out=['"msg": "arg=first rc=0"'], files_in={"s.sh": "#!/bin/sh\necho \"arg=$1\"\n"}),
    dict(name="078-copy-src-mode", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - copy:
                src: app.conf
                dest: "{{ playbook_dir }}/out/app.conf"
                mode: "0640"
              register: c1
            - copy:
                src: app.conf
                dest: "{{ playbook_dir }}/out/app.conf"
                mode: "0640"
              register: c2
            - stat:
                path: "{{ playbook_dir }}/out/app.conf"
              register: s
            - debug:
                msg: "{{ c1.changed }} {{ c2.changed }} {{ s.stat.mode }}"
        """), out=['"msg": "True False 0640"'], files_in={"files/app.conf": "key=value\n"}, pre_dirs=["out"], files=["out/app.conf"]),
    dict(name="079-slurp", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - slurp:
                src: "{{ playbook_dir }}/data.txt"
              register: s
            - debug:
                msg: "{{ s.content | b64decode | trim }} {{ s.encoding }}"
        """), files_in={"data.txt": "hello slurp\n"}, out=['"msg": "hello slurp base64"']),
    dict(name="080-fetch", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - fetch:
                src: "{{ playbook_dir }}/data.txt"
                dest: "{{ playbook_dir }}/fetched/data.txt"
                flat: true
              register: f1
            - fetch:
                src: "{{ playbook_dir }}/data.txt"
                dest: "{{ playbook_dir }}/fetched/data.txt"
                flat: true
              register: f2
            - fetch:
                src: "{{ playbook_dir }}/data.txt"
                dest: "{{ playbook_dir }}/tree/"
            - stat:
                path: "{{ playbook_dir }}/tree/h1{{ playbook_dir }}/data.txt"
              register: s
            - debug:
                msg: "{{ f1.changed }} {{ f2.changed }} {{ s.stat.exists }}"
        """), files_in={"data.txt": "fetch me\n"}, out=['"msg": "True False True"'], files=["fetched/data.txt"]),
    dict(name="081-pause", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - pause:
                seconds: 1
            - debug:
                msg: "after {{ inventory_hostname }}"
        """), inventory=H2, out=['"msg": "after h2"']),
    dict(name="082-wait-for-path", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - wait_for:
                path: "{{ playbook_dir }}/data.txt"
                timeout: 3
            - wait_for:
                path: "{{ playbook_dir }}/data.txt"
                search_regex: ready
                timeout: 3
            - wait_for:
                path: "{{ playbook_dir }}/missing"
                state: absent
                timeout: 3
            - wait_for:
                path: "{{ playbook_dir }}/missing"
                timeout: 1
              register: w
              ignore_errors: true
            - debug:
                msg: "waited {{ w.failed }}"
        """), files_in={"data.txt": "service ready\n"}, out=["...ignoring", '"msg": "waited True"']),
    dict(name="083-wait-for-port", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - wait_for:
                host: 127.0.0.1
                port: 1
                state: stopped
                timeout: 2
            - block:
                - wait_for:
                    host: 127.0.0.1
                    port: 1
                    timeout: 1
              rescue:
                - debug:
                    msg: port closed
        """), out=['"msg": "port closed"']),
    dict(name="084-unarchive", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: tar czf {{ playbook_dir }}/out/a.tgz -C {{ playbook_dir }}/src dir
            - file:
                path: "{{ playbook_dir }}/out/{{ item }}"
                state: directory
              loop: [x, y]
            - unarchive:
                src: "{{ playbook_dir }}/out/a.tgz"
                dest: "{{ playbook_dir }}/out/x"
                creates: "{{ playbook_dir }}/out/x/dir/f.txt"
              register: u1
            - unarchive:
                src: "{{ playbook_dir }}/out/a.tgz"
                dest: "{{ playbook_dir }}/out/x"
                creates: "{{ playbook_dir }}/out/x/dir/f.txt"
              register: u2
            - unarchive:
                src: "{{ playbook_dir }}/out/a.tgz"
                dest: "{{ playbook_dir }}/out/y"
                remote_src: true
            - unarchive:
                src: "{{ playbook_dir }}/out/a.tgz"
                dest: "{{ playbook_dir }}/out/y"
                remote_src: true
              register: u3
            - debug:
                msg: "{{ u1.changed }} {{ u2.changed }} {{ u3.changed }}"
        """), out=['"msg": "True False False"'], files_in={"src/dir/f.txt": "inside\n", "src/dir/sub/g.txt": "deeper\n"}, pre_dirs=["out"],
        files=["out/x/dir/f.txt", "out/x/dir/sub/g.txt", "out/y/dir/f.txt"]),
    dict(name="085-ping", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - ping:
              register: p
            - debug:
                msg: "{{ p.ping }}"
        """), out=['"msg": "pong"']),

    # ---- loops
    dict(name="086-with-indexed-items", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ item.0 }}={{ item.1 }}"
              with_indexed_items: [a, b]
        """), out=['"msg": "0=a"', '"msg": "1=b"']),
    dict(name="087-loop-flatten-filter", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            nested: [[1, [2, 3]], 4]
          tasks:
            - debug:
                msg: "{{ item }}"
              loop: "{{ nested | flatten }}"
            - debug:
                msg: "{{ nested | flatten(levels=1) | length }}"
        """), out=["ok: [h1] => (item=3)", "ok: [h1] => (item=4)", '"msg": "3"']),
    dict(name="088-loop-extended", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ ansible_loop.index }}/{{ ansible_loop.length }} first={{ ansible_loop.first }} last={{ ansible_loop.last }} {{ item }}"
              loop: [x, y, z]
              loop_control:
                extended: true
        """), out=['"msg": "1/3 first=True last=False x"', '"msg": "3/3 first=False last=True z"']),
    dict(name="089-loop-dict2items-label", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            users:
              alice: {uid: 1001}
              bob: {uid: 1002}
          tasks:
            - debug:
                msg: "{{ item.key }} {{ item.value.uid }}"
              loop: "{{ users | dict2items }}"
              loop_control:
                label: "{{ item.key }}"
        """), out=['ok: [h1] => (item=alice)', '"msg": "bob 1002"']),
    dict(name="090-loop-item-fails", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: test {{ item }} -ne 2
              loop: [1, 2, 3]
            - debug:
                msg: never
        """), out=['failed: [h1] (item=2)', 'changed: [h1] => (item=3)'], not_out=['"msg": "never"']),
    dict(name="091-loop-ignore-errors-register", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: test {{ item }} -ne 2
              loop: [1, 2, 3]
              register: r
              ignore_errors: true
            - debug:
                msg: "failed={{ r.results | selectattr('failed') | map(attribute='item') | list }} rcs={{ r.results | map(attribute='rc') | join(',') }} any={{ r is failed }}"
        """), out=['"msg": "failed=[2] rcs=0,1,0 any=True"', '...ignoring']),
    dict(name="092-until-in-block-rescue", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - command: /bin/false
                  register: r
                  until: r.rc == 0
                  retries: 2
                  delay: 0
              rescue:
                - debug:
                    msg: "gave up after {{ ansible_failed_result.attempts }}"
        """), out=['FAILED - RETRYING: [h1]: command (1 retries left).', '"msg": "gave up after 2"']),
    # ---- serial, failure limits, multi-host
    dict(name="093-serial-percent", play=play("""
        - hosts: all
          gather_facts: false
          serial: "50%"
          tasks:
            - debug:
                msg: "{{ ansible_play_batch | join(',') }}"
        """), out=['"msg": "h1,h2"', '"msg": "h3,h4"'], inventory=H4),
    dict(name="094-serial-list", play=play("""
        - hosts: all
          gather_facts: false
          serial: [1, 2]
          tasks:
            - debug:
                msg: "batch {{ ansible_play_batch | join(',') }}"
        """), out=['"msg": "batch h1"', '"msg": "batch h2,h3"', '"msg": "batch h4"'], inventory=H4),
    dict(name="095-serial-max-fail-stops-batches", play=play("""
        - hosts: all
          gather_facts: false
          serial: 2
          max_fail_percentage: 0
          tasks:
            - command: /bin/false
              when: inventory_hostname == 'h1'
            - debug:
                msg: "after {{ inventory_hostname }}"
        """), out=[], not_out=['"msg": "after', '[h3]'], inventory=H4),
    dict(name="096-max-fail-not-exceeded", play=play("""
        - hosts: all
          gather_facts: false
          max_fail_percentage: 50
          tasks:
            - command: /bin/false
              when: inventory_hostname == 'h1'
            - debug:
                msg: "after {{ inventory_hostname }}"
        """), out=['"msg": "after h2"'], not_out=['"msg": "after h1"'], inventory=H2),
    dict(name="097-run-once-set-fact", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - set_fact:
                leader: "{{ inventory_hostname }}"
              run_once: true
            - debug:
                msg: "{{ inventory_hostname }} follows {{ leader }}"
        """), out=['"msg": "h2 follows h1"'], inventory=H2),
    dict(name="098-run-once-delegate", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo {{ inventory_hostname }}
              run_once: true
              delegate_to: localhost
              register: r
            - debug:
                msg: "{{ r.stdout }}"
        """), out=['changed: [h1 -> localhost]', '"msg": "h1"'], not_out=['"msg": "h2"'], inventory=H2),
    dict(name="099-hostvars-cross-host-fact", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - set_fact:
                token: "t-{{ inventory_hostname }}"
            - debug:
                msg: "{{ hostvars['h2'].token }} {% for h in groups['all'] %}{{ hostvars[h].token }};{% endfor %}"
              when: inventory_hostname == 'h1'
        """), out=['"msg": "t-h2 t-h1;t-h2;"'], inventory=H2),
    dict(name="100-any-errors-fatal-rescue", play=play("""
        - hosts: all
          gather_facts: false
          any_errors_fatal: true
          tasks:
            - block:
                - command: /bin/false
                  when: inventory_hostname == 'h1'
              rescue:
                - debug:
                    msg: "rescued {{ inventory_hostname }}"
            - debug:
                msg: "after {{ inventory_hostname }}"
        """), out=['"msg": "rescued h1"', '"msg": "rescued h2"', '"msg": "after h2"'], inventory=H2),
    dict(name="101-meta-end-play", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "before {{ inventory_hostname }}"
            - meta: end_play
            - debug:
                msg: never
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "second play {{ inventory_hostname }}"
        """), out=['"msg": "before h2"', '"msg": "second play h2"'], not_out=['"msg": "never"'], inventory=H2),
    dict(name="102-multiple-plays", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - set_fact:
                carried: "from play one"
        - hosts: h2
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ carried }} {{ ansible_play_hosts | join(',') }}"
        """), out=['"msg": "from play one h2"'], inventory=H2),
    dict(name="103-host-patterns", play=play("""
        - hosts: "db:!h2"
          gather_facts: false
          tasks:
            - debug:
                msg: "db-not-h2 {{ inventory_hostname }}"
        - hosts: "db:&web"
          gather_facts: false
          tasks:
            - debug:
                msg: "both {{ inventory_hostname }}"
        """), out=['"msg": "db-not-h2 h1"', '"msg": "both h2"'], not_out=['"msg": "db-not-h2 h2"', '"msg": "both h1"'], inventory="[db]\nh1 ansible_connection=local\nh2 ansible_connection=local\n\n[web]\nh2\nh3 ansible_connection=local\n"),
    dict(name="104-limit", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "run {{ inventory_hostname }} of {{ ansible_play_hosts_all | join(',') }}"
        """), out=['"msg": "run h2 of h2"'], not_out=['[h1]'], inventory=H2, args=["--limit", "h2"]),
    dict(name="105-magic-vars", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ inventory_hostname }} {{ inventory_hostname_short }} {{ play_hosts | join(',') }} {{ ansible_play_hosts | length }} {{ group_names | join(',') }} {{ groups.all | join(',') }} {{ groups.ungrouped | default([]) | join(',') }} check={{ ansible_check_mode }}"
        """), out=['"msg": "h1.example.com h1 h1.example.com,h2 2 ungrouped h1.example.com,h2 h1.example.com check=False"', '"msg": "h2 h2 h1.example.com,h2 2 grp h1.example.com,h2 h1.example.com check=False"'], inventory="h1.example.com ansible_connection=local\n[grp]\nh2 ansible_connection=local\n"),

    # ---- variables and precedence
    dict(name="106-vars-files-over-play-vars", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            v: play
            only_play: p
          vars_files:
            - vars/common.yml
          tasks:
            - debug:
                msg: "{{ v }} {{ only_play }} {{ only_file }}"
        """), out=['"msg": "file p f"'], files_in={"vars/common.yml": "v: file\nonly_file: f\n"}),
    dict(name="107-group-vars-child-over-parent", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "v={{ v }} w={{ w }} x={{ x }} u={{ u }}"
        """), out=['"msg": "v=child w=parentinv x=all u=all"'], inventory="[parent:children]\nchild\n\n[child]\nh1 ansible_connection=local\n\n[parent:vars]\nw=parentinv\nx=parentinv\n",
        files_in={"group_vars/all.yml": "v: all\nu: all\nx: all\n", "group_vars/parent.yml": "v: parent\n", "group_vars/child.yml": "v: child\n"}),
    dict(name="108-host-vars-layers", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ a }} {{ b }} {{ c }}"
        """), out=['"msg": "line file group"'], inventory="h1 ansible_connection=local a=line b=line\n",
        files_in={"host_vars/h1.yml": "b: file\n", "group_vars/all.yml": "a: group\nc: group\n"}),
    dict(name="109-extra-vars-json", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            n: 1
          tasks:
            - debug:
                msg: "{{ n + (l | length) }} {{ s | int + 1 }}"
        """), out=['"msg": "7 42"'], args=["-e", '{"n": 5, "l": [1, 2]}', "-e", "s=41"]),
    dict(name="110-extra-vars-file", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            release: play
          tasks:
            - set_fact:
                release: fact
            - debug:
                msg: "{{ release }} {{ items | join('+') }}"
        """), out=['"msg": "2.5.6 a+b"'], files_in={"extra.yml": "release: '2.5.6'\nitems: [a, b]\n"}, args=["-e", "@extra.yml"]),
    dict(name="111-set-fact-over-task-and-include-vars", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            v: play
            w: play
          tasks:
            - set_fact:
                v: fact
                w: fact
            - include_vars: more.yml
            - debug:
                msg: "{{ v }} {{ w }} {{ z }}"
              vars:
                v: task
                z: task
        """), out=['"msg": "fact fact included"'], files_in={"more.yml": "w: included\nz: included\n"}),
    dict(name="112-block-vars", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            v: play
          tasks:
            - block:
                - debug:
                    msg: "block {{ v }}"
                - debug:
                    msg: "task {{ v }}"
                  vars:
                    v: task
              vars:
                v: block
            - debug:
                msg: "outside {{ v }}"
        """), out=['"msg": "block block"', '"msg": "task task"', '"msg": "outside play"']),
    dict(name="113-register-overrides-vars", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            r: from-vars
          tasks:
            - command: echo registered
              register: r
            - debug:
                msg: "{{ r.stdout }}"
        """), out=['"msg": "registered"']),
    dict(name="114-environment-task-override", play=play("""
        - hosts: all
          gather_facts: false
          environment:
            A: play-a
            B: play-b
          tasks:
            - shell: echo "$A $B"
              register: r
              environment:
                B: task-b
            - debug:
                msg: "{{ r.stdout }}"
        """), out=['"msg": "play-a task-b"']),
    dict(name="115-omit", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ nothing | default(omit) }}"
            - copy:
                content: "x\\n"
                dest: "{{ playbook_dir }}/out/f"
                mode: "{{ mode | default(omit) }}"
        """), out=['"msg": "Hello world!"'], pre_dirs=["out"], files=["out/f"]),
    # ---- roles
    dict(name="116-role-full", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - role: web
              web_port: 8080
        """), out=['RUNNING HANDLER [web : reload web]', '"msg": "reloaded"', 'TASK [web : template]'], pre_dirs=["out"], files_in={
            "roles/web/defaults/main.yml": "web_port: 80\nsite: web\n",
            "roles/web/vars/main.yml": "conf_name: site.conf\n",
            "roles/web/templates/site.j2": "listen {{ web_port }}\nname {{ site }}\n",
            "roles/web/files/static.txt": "static\n",
            "roles/web/handlers/main.yml": "- name: reload web\n  debug:\n    msg: reloaded\n",
            "roles/web/tasks/main.yml": "- template:\n    src: site.j2\n    dest: \"{{ playbook_dir }}/out/{{ conf_name }}\"\n  notify: reload web\n- copy:\n    src: static.txt\n    dest: \"{{ playbook_dir }}/out/static.txt\"\n",
        }, files=["out/site.conf", "out/static.txt"]),
    dict(name="117-role-precedence", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            b: play
            c: play
          roles:
            - r
          tasks:
            - debug:
                msg: "play sees {{ c }}"
        """), out=['"msg": "inventory play rolevars default"', '"msg": "play sees rolevars"'], inventory="h1 ansible_connection=local a=inventory\n", files_in={
            "roles/r/defaults/main.yml": "a: default\nb: default\nc: default\nd: default\n",
            "roles/r/vars/main.yml": "c: rolevars\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: \"{{ a }} {{ b }} {{ c }} {{ d }}\"\n",
        }),
    dict(name="118-role-twice-params", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - role: greet
              who: one
            - role: greet
              who: two
            - role: greet
        """), out=['"msg": "hello one"', '"msg": "hello two"', '"msg": "hello nobody"'], files_in={
            "roles/greet/defaults/main.yml": "who: nobody\n",
            "roles/greet/tasks/main.yml": "- debug:\n    msg: \"hello {{ who }}\"\n",
        }),
    dict(name="119-pre-post-tasks-order", play=play("""
        - hosts: all
          gather_facts: false
          pre_tasks:
            - shell: echo pre >> {{ playbook_dir }}/out/order
          roles:
            - r
          tasks:
            - shell: echo tasks >> {{ playbook_dir }}/out/order
              notify: h
          post_tasks:
            - shell: echo post >> {{ playbook_dir }}/out/order
          handlers:
            - name: h
              shell: echo handler >> {{ playbook_dir }}/out/order
        """), out=['RUNNING HANDLER [h]'], pre_dirs=["out"], files_in={"roles/r/tasks/main.yml": "- shell: echo role >> {{ playbook_dir }}/out/order\n"}, files=["out/order"]),

    # ---- handlers
    dict(name="120-handler-definition-order", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo 1
              notify: second
            - command: echo 2
              notify: [first, second]
          handlers:
            - name: first
              shell: echo first >> {{ playbook_dir }}/out/order
            - name: second
              shell: echo second >> {{ playbook_dir }}/out/order
        """), out=['RUNNING HANDLER [first]', 'RUNNING HANDLER [second]'], pre_dirs=["out"], files=["out/order"]),
    dict(name="121-handler-loop-notifies-once", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo {{ item }}
              loop: [1, 2, 3]
              notify: h
          handlers:
            - name: h
              shell: echo ran >> {{ playbook_dir }}/out/h
        """), out=['RUNNING HANDLER [h]'], pre_dirs=["out"], files=["out/h"]),
    dict(name="122-handler-skipped-for-failed-host", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo change
              notify: h
            - command: /bin/false
              when: inventory_hostname == 'h1'
          handlers:
            - name: h
              debug:
                msg: "handled {{ inventory_hostname }}"
        """), out=['"msg": "handled h2"'], not_out=['"msg": "handled h1"'], inventory=H2),
    dict(name="123-force-handlers-cli", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo change
              notify: h
            - fail:
                msg: broken
          handlers:
            - name: h
              debug:
                msg: handled anyway
        """), out=['"msg": "handled anyway"'], args=["--force-handlers"]),
    dict(name="124-handler-failure", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo change
              notify: h
            - debug:
                msg: task done
          handlers:
            - name: h
              command: /bin/false
        """), out=['"msg": "task done"', 'RUNNING HANDLER [h]']),
    dict(name="125-handler-notifies-handler", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo change
              notify: restart
          handlers:
            - name: restart
              command: echo restarting
              notify: verify
            - name: verify
              debug:
                msg: verified
        """), out=['RUNNING HANDLER [verify]', '"msg": "verified"']),
    # ---- tags
    dict(name="126-tags-on-import-and-block", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - import_tasks: deploy.yml
              tags: [deploy]
            - block:
                - debug:
                    msg: in tagged block
              tags: [deploy]
            - debug:
                msg: untagged
        """), out=['"msg": "imported deploy"', '"msg": "in tagged block"'], not_out=['"msg": "untagged"'], files_in={"deploy.yml": "- debug:\n    msg: imported deploy\n"}, args=["--tags", "deploy"]),
    dict(name="127-tags-select-never", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: dbg
              tags: [never, debug]
            - debug:
                msg: other
              tags: [other]
            - debug:
                msg: always runs
              tags: [always]
        """), out=['"msg": "dbg"', '"msg": "always runs"'], not_out=['"msg": "other"'], args=["--tags", "debug"]),
    dict(name="128-tags-play-level", play=play("""
        - hosts: all
          gather_facts: false
          tags: [db]
          tasks:
            - debug:
                msg: db play
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: other play
        """), out=['"msg": "db play"'], not_out=['"msg": "other play"'], args=["--tags", "db"]),
    # ---- check mode
    dict(name="129-check-mode-register", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - copy:
                content: "x\\n"
                dest: "{{ playbook_dir }}/out/x.txt"
              register: c
            - command: touch {{ playbook_dir }}/out/real
              check_mode: false
            - lineinfile:
                path: "{{ playbook_dir }}/out/existing"
                line: added
              register: l
            - debug:
                msg: "{{ c.changed }} {{ l.changed }} {{ ansible_check_mode }}"
        """), out=['"msg": "True True True"'], args=["--check"], pre_dirs=["out"], files_in={"out/existing": "first\n"}, absent=["out/x.txt"], files=["out/real", "out/existing"]),
    dict(name="130-check-mode-command-skipped", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: touch {{ playbook_dir }}/out/c
              register: r
            - shell: touch {{ playbook_dir }}/out/s
            - debug:
                msg: "skipped={{ r.skipped | default(false) }} changed={{ r.changed }}"
        """), out=['"msg": "skipped=True changed=False"'], args=["--check"], pre_dirs=["out"], absent=["out/c", "out/s"]),
    dict(name="131-check-mode-task-true", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - copy:
                content: "y\\n"
                dest: "{{ playbook_dir }}/out/y.txt"
              check_mode: true
            - copy:
                content: "z\\n"
                dest: "{{ playbook_dir }}/out/z.txt"
        """), pre_dirs=["out"], absent=["out/y.txt"], files=["out/z.txt"]),
    dict(name="132-check-mode-file-states", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - file:
                path: "{{ playbook_dir }}/out/d"
                state: directory
            - file:
                path: "{{ playbook_dir }}/out/keep"
                state: absent
            - template:
                src: t.j2
                dest: "{{ playbook_dir }}/out/t"
        """), args=["--check"], pre_dirs=["out"], files_in={"out/keep": "kept\n", "templates/t.j2": "v\n"}, absent=["out/d", "out/t"], files=["out/keep"]),

    # ---- filters and tests
    dict(name="133-filter-json-yaml", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            cfg: {name: hotdb, ports: [3323, 3325], opts: {ha: true}}
            raw_json: '{"a": 1, "b": [true, null]}'
          tasks:
            - copy:
                content: "{{ cfg | to_json }}\\n{{ cfg | to_yaml }}{{ (raw_json | from_json).b | length }} {{ (raw_json | from_json).a + 1 }}\\n"
                dest: "{{ playbook_dir }}/out/cfg"
            - copy:
                content: "{{ cfg | to_nice_json }}\\n"
                dest: "{{ playbook_dir }}/out/nice.json"
        """), out=[], pre_dirs=["out"], files=["out/cfg", "out/nice.json"]),
    dict(name="134-filter-lists", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            a: [3, 1, 2, 3]
            b: [2, 4]
          tasks:
            - debug:
                msg: "u={{ a | unique | join(',') }} un={{ a | union(b) | sort | join(',') }} d={{ a | difference(b) | sort | join(',') }} i={{ a | intersect(b) | sort | join(',') }} s={{ a | sort | join(',') }} f={{ [[1, [2]], [3]] | flatten | join(',') }} min={{ a | min }} max={{ a | max }} first={{ a | first }} last={{ a | last }} len={{ a | length }} sum={{ a | sum }}"
        """), out=['"msg": "u=3,1,2 un=1,2,3,4 d=1,3 i=2 s=1,2,3,3 f=1,2,3 min=1 max=3 first=3 last=3 len=4 sum=9"']),
    dict(name="135-filter-dicts", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            base: {db: {host: a, port: 1}, name: x}
            over: {db: {port: 2}, extra: y}
            pairs: [{key: k1, value: v1}, {key: k2, value: v2}]
            nodes:
              - {name: n1, role: master, port: 3323}
              - {name: n2, role: slave, port: 3324}
              - {name: n3, role: slave, port: 3325}
          tasks:
            - debug:
                msg: "{{ base | combine(over, recursive=True) | to_json }} {{ base | combine(over) | to_json }}"
            - debug:
                msg: "{{ pairs | items2dict | to_json }} {{ {'b': 2, 'a': 1} | dict2items | map(attribute='key') | join(',') }}"
            - debug:
                msg: "{{ nodes | selectattr('role', 'equalto', 'slave') | map(attribute='name') | join(',') }} {{ nodes | rejectattr('role', 'eq', 'slave') | map(attribute='port') | first }} {{ nodes | map(attribute='port') | select('gt', 3323) | list | length }}"
        """), out=['"msg": "{\\"db\\": {\\"host\\": \\"a\\", \\"port\\": 2}, \\"name\\": \\"x\\", \\"extra\\": \\"y\\"} {\\"db\\": {\\"port\\": 2}, \\"name\\": \\"x\\", \\"extra\\": \\"y\\"}"', '"msg": "{\\"k1\\": \\"v1\\", \\"k2\\": \\"v2\\"} b,a"', '"msg": "n2,n3 3323 2"']),
    dict(name="136-filter-strings", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            path: /usr/local/hotdb/conf/server.xml
            quoted: it's here
          tasks:
            - debug:
                msg: >-
                  {{ 'hotdb' | b64encode }} {{ 'aG90ZGI=' | b64decode }} {{ path | basename }} {{ path | dirname }}
                  {{ quoted | quote }} {{ 'a b' | quote }} {{ 'plain' | quote }} {{ 'Mixed' | upper }}{{ 'Mixed' | lower }}
                  [{{ '  pad  ' | trim }}] {{ 'a-b-c' | replace('-', '+') }} {{ 'a,b' | split(',') | last }}
            - debug:
                msg: >-
                  {{ 'ver=2.5.6 build' | regex_search('[0-9.]+') }} {{ 'k1=v1 k2=v2' | regex_findall('k([0-9])') | join('') }}
                  {{ 'abc' is match('a') }} {{ 'abc' is search('c') }} {{ 'abc' is match('c') }} [{{ 'none here' | regex_search('[0-9]+') }}]
        """), out=['"msg": "aG90ZGI= hotdb server.xml /usr/local/hotdb/conf \'it\'\\"\'\\"\'s here\' \'a b\' plain MIXEDmixed [pad] a+b+c b"', '"msg": "2.5.6 12 True True False []"']),
    dict(name="137-filter-bool-int-default", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            empty: ""
            zero: 0
            none_value: null
          tasks:
            - debug:
                msg: "{{ 'on' | bool }} {{ 'no' | bool }} {{ 'TRUE' | bool }} {{ 1 | bool }} {{ '0' | bool }} {{ 'junk' | bool }} {{ '3.7' | int }} {{ 'x' | int }} {{ '010' | int }} {{ '2.5' | float + 1 }}"
            - debug:
                msg: "[{{ empty | default('d') }}] [{{ empty | default('d', true) }}] [{{ zero | default('d', true) }}] [{{ undefined_thing | default('d') }}] [{{ none_value | default('d') }}] {{ (zero == 0) | ternary('yes', 'no') }} {{ none_value | ternary('t', 'f', 'n') }}"
        """), out=['"msg": "True False True True False False 3 0 10 3.5"', '"msg": "[] [d] [d] [d] [] yes n"']),
    dict(name="138-tests-defined-and-results", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            present: 1
          tasks:
            - command: /bin/false
              register: bad
              ignore_errors: true
            - command: echo ok
              register: good
            - command: echo skipped
              register: skip
              when: false
            - debug:
                msg: "{{ present is defined }} {{ absent is undefined }} {{ bad is failed }} {{ bad is succeeded }} {{ good is success }} {{ good is changed }} {{ skip is skipped }} {{ skip is changed }} {{ good is not skipped }}"
        """), out=['"msg": "True True True False True True True False True"']),
    dict(name="139-version-tests", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ '2.10' is version('2.9', '>') }} {{ '2.5.4' is version('2.5.4', '==') }} {{ '1.0' is version('1.0.0', 'eq') }} {{ '3.0.0' is version('3.0.1', 'lt') }} {{ '8.0.30' is version('8.0.4', '>=') }} {{ '10.1' is version_compare('9.9', 'gt') }}"
        """), out=['"msg": "True True False True True True"']),
    dict(name="140-mandatory", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            given: here
          tasks:
            - debug:
                msg: "{{ given | mandatory }}"
            - block:
                - debug:
                    msg: "{{ missing | mandatory }}"
              rescue:
                - debug:
                    msg: caught missing
        """), out=['"msg": "here"', '"msg": "caught missing"']),
    dict(name="141-undefined-variable-fails", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ nope }}"
            - debug:
                msg: never
        """), out=['fatal: [h1]'], not_out=['"msg": "never"']),
    dict(name="142-template-logic", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            role_name: master
            nodes: [{name: n1, port: 3323}, {name: n2, port: 3324}]
            opts: {b: 2, a: 1}
          tasks:
            - template:
                src: conf.j2
                dest: "{{ playbook_dir }}/out/conf"
        """), pre_dirs=["out"], files_in={"templates/conf.j2": (
            "# generated\n"
            "{% if role_name == 'master' %}\n"
            "mode=master\n"
            "{% else %}\n"
            "mode=slave\n"
            "{% endif %}\n"
            "{% for n in nodes %}\n"
            "node{{ loop.index }}={{ n.name }}:{{ n.port }}\n"
            "{% endfor %}\n"
            "{% for k, v in opts | dictsort %}\n"
            "{{ k }}={{ v }}\n"
            "{% endfor %}\n"
            "{%- set total = nodes | map(attribute='port') | sum %}\n"
            "total={{ total }}\n"
            "{# a comment #}\n"
            "host={{ inventory_hostname }}\n")}, files=["out/conf"]),

    # ---- blocks, includes, failures
    dict(name="143-rescue-failed-task", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - name: step one
                  fail:
                    msg: boom
              rescue:
                - debug:
                    msg: "{{ ansible_failed_task.name }}: {{ ansible_failed_result.msg }}"
        """), out=['"msg": "step one: boom"', 'TASK [step one]']),
    dict(name="144-nested-block-rescue", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - block:
                    - fail:
                        msg: inner
                  rescue:
                    - fail:
                        msg: rescue-failed
              rescue:
                - debug:
                    msg: "outer {{ ansible_failed_result.msg }}"
            - debug:
                msg: end
        """), out=['"msg": "outer rescue-failed"', '"msg": "end"']),
    dict(name="145-block-always-on-success", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - debug:
                    msg: body
              rescue:
                - debug:
                    msg: not-needed
              always:
                - debug:
                    msg: finally
        """), out=['"msg": "body"', '"msg": "finally"'], not_out=['"msg": "not-needed"']),
    dict(name="146-include-tasks-vars-when", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - include_tasks: inc.yml
              vars:
                x: one
            - include_tasks: inc.yml
              vars:
                x: two
              when: false
            - include_tasks: "{{ which }}.yml"
              vars:
                which: inc
                x: three
        """), out=['"msg": "inc one"', '"msg": "inc three"'], not_out=['"msg": "inc two"'], files_in={"inc.yml": "- debug:\n    msg: \"inc {{ x }}\"\n"}),
    dict(name="147-import-vs-include-when", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - import_tasks: setflag.yml
              when: flag is not defined
            - set_fact:
                flag2: null
            - include_tasks: setflag2.yml
              when: flag2 is none
        """), out=['"msg": "included second"'], not_out=['"msg": "imported second"'], files_in={
            "setflag.yml": "- set_fact:\n    flag: true\n- debug:\n    msg: imported second\n",
            "setflag2.yml": "- set_fact:\n    flag2: true\n- debug:\n    msg: included second\n",
        }),
    dict(name="148-include-nested-register", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - include_tasks: outer.yml
            - debug:
                msg: "{{ inner_result.stdout }}"
        """), out=['"msg": "from-inner"'], files_in={
            "outer.yml": "- include_tasks: inner.yml\n",
            "inner.yml": "- command: echo from-inner\n  register: inner_result\n",
        }),
    dict(name="149-no-log-failure", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - shell: echo s3cr3t-value; exit 1
              no_log: true
        """), out=["the output has been hidden due to the fact that 'no_log: true' was specified for this result"], not_out=['s3cr3t-value']),
    dict(name="150-failed-changed-when-lists", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - shell: echo "state=same"; exit 3
              register: r
              failed_when:
                - r.rc != 0
                - r.rc != 3
              changed_when:
                - r.rc == 0
                - "'changed' in r.stdout"
            - shell: exit 1
              failed_when: false
            - debug:
                msg: "{{ r.failed }} {{ r.changed }} {{ r.rc }}"
        """), out=['"msg": "False False 3"']),
    dict(name="151-fail-rescue-continue-recap", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - command: echo changed-before-failure
                - command: /bin/false
                - debug:
                    msg: skipped-after-failure
              rescue:
                - command: echo rescue-changes
            - debug:
                msg: continues
        """), out=['"msg": "continues"'], not_out=['"msg": "skipped-after-failure"']),
    dict(name="152-script-failure", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - script: fail.sh
              rescue:
                - debug:
                    msg: "rc={{ ansible_failed_result.rc }} out={{ ansible_failed_result.stdout | trim }}"
        """), out=['"msg": "rc=3 out=partial"'], files_in={"fail.sh": "#!/bin/sh\necho partial\nexit 3\n"}),
    dict(name="153-meta-end-host-in-block", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - block:
                - debug:
                    msg: "start {{ inventory_hostname }}"
                - meta: end_host
                  when: inventory_hostname == 'h2'
            - debug:
                msg: "finish {{ inventory_hostname }}"
        """), out=['"msg": "start h2"', '"msg": "finish h1"'], not_out=['"msg": "finish h2"'], inventory=H2),

    # ---- file-like modules in more detail
    dict(name="154-lineinfile-more", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - lineinfile:
                path: "{{ playbook_dir }}/out/new.conf"
                line: created=1
                create: true
            - lineinfile:
                path: "{{ playbook_dir }}/out/f"
                regexp: '^(port)=.*$'
                line: '\\1=3325'
                backrefs: true
            - lineinfile:
                path: "{{ playbook_dir }}/out/f"
                regexp: '^nomatch='
                line: 'x\\1'
                backrefs: true
            - lineinfile:
                path: "{{ playbook_dir }}/out/f"
                line: '# header'
                insertbefore: BOF
            - lineinfile:
                path: "{{ playbook_dir }}/out/f"
                line: 'before-end=1'
                insertbefore: '^end'
            - lineinfile:
                path: "{{ playbook_dir }}/out/f"
                line: 'port=3325'
              register: again
            - debug:
                msg: "{{ again.changed }}"
        """), out=['"msg": false'], files_in={"out/f": "port=3323\nend\n"}, files=["out/new.conf", "out/f"]),
    dict(name="155-blockinfile-markers", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - blockinfile:
                path: "{{ playbook_dir }}/out/f"
                marker: "# {mark} hotdb"
                insertbefore: '^tail'
                block: |
                  a=1
            - blockinfile:
                path: "{{ playbook_dir }}/out/f"
                marker: "# {mark} hotdb"
                block: |
                  a=2
                  b=2
            - blockinfile:
                path: "{{ playbook_dir }}/out/f"
                marker: "# {mark} hotdb"
                block: |
                  a=2
                  b=2
              register: same
            - blockinfile:
                path: "{{ playbook_dir }}/out/g"
                block: gone
                state: absent
            - debug:
                msg: "same={{ same.changed }}"
        """), out=['"msg": "same=False"'], files_in={"out/f": "head\ntail\n", "out/g": "keep\n# BEGIN ANSIBLE MANAGED BLOCK\ngone\n# END ANSIBLE MANAGED BLOCK\nafter\n"}, files=["out/f", "out/g"]),
    dict(name="156-replace-more", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - replace:
                path: "{{ playbook_dir }}/out/f"
                regexp: 'nothing-matches'
                replace: x
              register: none_matched
            - replace:
                path: "{{ playbook_dir }}/out/f"
                regexp: '^#\\s*(listen)'
                replace: '\\1'
            - replace:
                path: "{{ playbook_dir }}/out/f"
                after: '\\[mysqld\\]'
                regexp: '^port=.*$'
                replace: 'port=3306'
            - debug:
                msg: "none={{ none_matched.changed }}"
        """), out=['"msg": "none=False"'], files_in={"out/f": "# listen 1\nport=1\n[mysqld]\nport=2\n#  listen 2\n"}, files=["out/f"]),
    dict(name="157-file-link-touch-mode", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - file:
                path: "{{ playbook_dir }}/out/target"
                state: touch
                mode: "0600"
            - file:
                src: "{{ playbook_dir }}/out/target"
                dest: "{{ playbook_dir }}/out/link"
                state: link
            - file:
                src: "{{ playbook_dir }}/out/target"
                dest: "{{ playbook_dir }}/out/link"
                state: link
              register: relink
            - file:
                path: "{{ playbook_dir }}/out/a/b/c"
                state: directory
                mode: "0750"
            - stat:
                path: "{{ playbook_dir }}/out/link"
              register: l
            - stat:
                path: "{{ playbook_dir }}/out/target"
              register: t
            - stat:
                path: "{{ playbook_dir }}/out/a/b/c"
              register: d
            - debug:
                msg: "{{ relink.changed }} {{ l.stat.islnk }} {{ l.stat.lnk_source | basename }} {{ t.stat.mode }} {{ d.stat.isdir }} {{ d.stat.mode }}"
        """), out=['"msg": "False True target 0600 True 0750"'], pre_dirs=["out"]),
    dict(name="158-stat-details", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - stat:
                path: "{{ playbook_dir }}/out/f"
              register: f
            - stat:
                path: "{{ playbook_dir }}/out"
              register: d
            - debug:
                msg: "{{ f.stat.checksum }} {{ f.stat.size }} {{ f.stat.isdir }} {{ d.stat.isdir }} {{ d.stat.isreg }} {{ f.stat.path | basename }}"
        """), out=['"msg": "a9993e364706816aba3e25717850c26c9cd0d89d 3 False True False f"'], files_in={"out/f": "abc"}),
    dict(name="159-copy-force-and-change", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - copy:
                content: "new\\n"
                dest: "{{ playbook_dir }}/out/keep"
                force: false
            - copy:
                content: "new\\n"
                dest: "{{ playbook_dir }}/out/replace"
            - copy:
                src: tree/
                dest: "{{ playbook_dir }}/out/tree"
        """), files_in={"out/keep": "old\n", "out/replace": "old\n", "files/tree/a.txt": "A\n", "files/tree/sub/b.txt": "B\n"},
        files=["out/keep", "out/replace", "out/tree/a.txt", "out/tree/sub/b.txt"]),
    dict(name="160-shell-options", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - shell: pwd > here.txt; cat
              args:
                chdir: "{{ playbook_dir }}/out"
                stdin: piped-in
              register: r
            - shell: echo again
              args:
                creates: "{{ playbook_dir }}/out/here.txt"
              register: c
            - shell: echo removed
              args:
                removes: "{{ playbook_dir }}/out/absent"
              register: m
            - command:
                argv: [printf, "%s|%s", "a b", c]
              register: a
            - command: sh -c "echo err >&2"
              register: e
            - debug:
                msg: "{{ r.stdout }} {{ c.changed }} {{ m.changed }} {{ a.stdout }} {{ e.stderr }} {{ e.stdout_lines | length }}"
        """), out=['"msg": "piped-in False False a b|c err 0"'], pre_dirs=["out"]),

    # ---- everyday odds and ends
    dict(name="161-assert-messages", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            pnum: 3323
          tasks:
            - assert:
                that:
                  - pnum > 1024
                  - pnum is number
            - assert:
                that: pnum > 1024
                success_msg: value fine
            - assert:
                that:
                  - pnum > 1024
                  - pnum < 2000
              ignore_errors: true
            - assert:
                that: pnum == 1
                fail_msg: "pnum {{ pnum }} is wrong"
              register: a
              ignore_errors: true
            - debug:
                msg: "{{ a.failed }} {{ a.msg }}"
        """), out=['"msg": "All assertions passed"', '"msg": "value fine"', '"msg": "Assertion failed"', '"msg": "True pnum 3323 is wrong"', '...ignoring']),
    dict(name="162-debug-var-forms", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            listv: [1, 2]
          tasks:
            - debug:
                var: not_there
            - debug:
                var: listv | length
            - debug:
                msg: hidden
                verbosity: 1
            - debug:
        """), out=['"not_there": "VARIABLE IS NOT DEFINED!"', '"listv | length": "2"', '"msg": "Hello world!"'], not_out=['"msg": "hidden"']),
    dict(name="163-when-string-bool", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: bare
              when: flag
            - debug:
                msg: filtered
              when: flag | bool
            - debug:
                msg: negated
              when: not flag | bool
            - debug:
                msg: "yes-string"
              when: other | bool
        """), out=['"msg": "bare"', '"msg": "negated"', '"msg": "yes-string"'], not_out=['"msg": "filtered"'], args=["-e", "flag=false", "-e", "other=yes"]),
    dict(name="164-set-fact-accumulate", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            acc: []
          tasks:
            - set_fact:
                acc: "{{ acc + [item * 2] }}"
              loop: [1, 2, 3]
            - set_fact:
                merged: "{{ merged | default({}) | combine({item.k: item.v}) }}"
              loop:
                - {k: a, v: 1}
                - {k: b, v: 2}
            - debug:
                msg: "{{ acc | join(',') }} {{ merged.a + merged.b }} {{ acc | sum }}"
        """), out=['"msg": "2,4,6 3 12"']),
    dict(name="165-include-vars-name-and-dir", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - include_vars:
                file: db.yml
                name: db
            - include_vars:
                dir: vars
            - debug:
                msg: "{{ db.port }} {{ db.user }} {{ from_a }} {{ from_b }} {{ shared }}"
        """), out=['"msg": "3306 root A B b"'], files_in={"db.yml": "port: 3306\nuser: root\n", "vars/a.yml": "from_a: A\nshared: a\n", "vars/b.yml": "from_b: B\nshared: b\n"}),
    dict(name="166-setup-module-facts", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "before {{ ansible_facts | length }} {{ ansible_system is defined }}"
            - setup:
            - debug:
                msg: "after {{ ansible_system }} {{ ansible_facts.system }} {{ ansible_facts['system'] == ansible_system }}"
        """), out=['"msg": "before 0 False"', '"msg": "after Linux Linux True"']),
    dict(name="167-with-sequence-count-range", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "seq {{ item }}"
              with_sequence: count=3
            - debug:
                msg: "range {{ item }}"
              loop: "{{ range(0, 6, 2) | list }}"
        """), out=['"msg": "seq 3"', '"msg": "range 4"'], not_out=['"msg": "range 6"']),
    dict(name="168-until-first-try", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo ready
              register: r
              until: "'ready' in r.stdout"
              retries: 3
              delay: 0
            - debug:
                msg: "attempts={{ r.attempts }}"
        """), out=['"msg": "attempts=1"'], not_out=['FAILED - RETRYING']),
    dict(name="169-loop-register-skipped-items", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo {{ item }}
              loop: [1, 2, 3, 4]
              when: item is even
              register: r
            - debug:
                msg: "{{ r.results | length }} {{ r.results | rejectattr('skipped', 'defined') | map(attribute='stdout') | join(',') }} {{ r.results | selectattr('skipped', 'defined') | list | length }} {{ r.changed }}"
        """), out=['skipping: [h1] => (item=1)', 'changed: [h1] => (item=2)', '"msg": "4 2,4 2 True"']),
    dict(name="170-per-host-when", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo primary work
              when: node_role == 'primary'
            - debug:
                msg: "{{ inventory_hostname }} is {{ node_role }}"
        """), out=['skipping: [h2]', '"msg": "h2 is replica"'], inventory="h1 ansible_connection=local node_role=primary\nh2 ansible_connection=local node_role=replica\n"),
    dict(name="171-serial-handlers-per-batch", play=play("""
        - hosts: all
          gather_facts: false
          serial: 1
          tasks:
            - shell: echo task {{ inventory_hostname }} >> {{ playbook_dir }}/out/log
              notify: h
          handlers:
            - name: h
              shell: echo handler {{ inventory_hostname }} >> {{ playbook_dir }}/out/log
        """), out=[], inventory=H2, pre_dirs=["out"], files=["out/log"]),
    dict(name="172-unreachable-host", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - command: echo hi
            - debug:
                msg: "still {{ inventory_hostname }}"
        """), out=['fatal: [h2]: UNREACHABLE!', '"msg": "still h1"'], not_out=['"msg": "still h2"'], inventory="h1 ansible_connection=local\nh2 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody\n"),
    dict(name="173-playbook-dir-absolute", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - r
          tasks:
            - debug:
                msg: "{{ playbook_dir.startswith('/') }} {{ inventory_dir == playbook_dir }}"
        """), out=['"msg": "role True r r"', '"msg": "True True"'], files_in={"roles/r/tasks/main.yml": "- debug:\n    msg: \"role {{ role_path.startswith('/') }} {{ role_path | basename }} {{ role_name }}\"\n"}),
    dict(name="174-lookups-fileglob-lines-first-found", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: "{{ query('fileglob', 'conf/*.conf') | map('basename') | sort | list }} {{ lookup('fileglob', 'conf/*.none', wantlist=True) }}"
            - debug:
                msg: "{{ query('lines', 'printf \\\"a\\\\nb\\\\n\\\"') | join(',') }}"
            - debug:
                msg: "{{ lookup('first_found', ['missing.yml', 'conf/b.conf']) | basename }} {{ query('first_found', ['nope1', 'nope2'], skip=True) }}"
            - debug:
                msg: "{{ item.0 }}-{{ item.1 }}"
              with_nested:
                - [x, y]
                - [1, 2]
            - debug:
                msg: "together {{ query('together', [1, 2, 3], ['a', 'b']) }}"
            - debug:
                msg: "{{ query('dict', {'k': 'v'}) }} {{ query('indexed_items', ['p', 'q']) | map('join', ':') | list }}"
            - debug:
                msg: "{{ query('varnames', '^my_') | sort | join(',') }}"
              vars:
                my_a: 1
                my_b: 2
            - debug:
                msg: "{{ lookup('csvfile', 'bob file=people.csv delimiter=, col=1') }} {{ lookup('ini', 'port section=db file=app.ini') }} {{ lookup('ini', 'nope section=db file=app.ini default=none') }}"
        """), out=['"msg": "[\'a.conf\', \'b.conf\'] []"', '"msg": "a,b"', '"msg": "b.conf []"', '"msg": "x-1"', '"msg": "y-2"', '"msg": "together [[1, \'a\'], [2, \'b\'], [3, None]]"', '"msg": "[{\'key\': \'k\', \'value\': \'v\'}] [\'0:p\', \'1:q\']"', '"msg": "my_a,my_b"', '"msg": "42 3306 none"'], files_in={"files/conf/a.conf": "a\n", "files/conf/b.conf": "b\n", "files/conf/sub/c.conf": "c\n", "files/people.csv": "alice,41\nbob,42\n", "files/app.ini": "[web]\nport=80\n[db]\nport = 3306\n"}),
    dict(name="175-include-apply-tags-and-banner-names", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            who: world
          tasks:
            - name: "hello {{ who }}"
              debug:
                msg: hi
              tags: [T-1]
            - include_tasks:
                file: inc.yml
                apply:
                  tags: [T-1]
              loop: [1, 2]
              tags: [T-1]
            - debug:
                msg: untagged
        """), args=["--tags", "T-1"], out=["TASK [hello world]", '"msg": "inc 1"', '"msg": "inc 2"'], not_out=['"msg": "untagged"'], files_in={"inc.yml": "- debug:\n    msg: \"inc {{ item }}\"\n"}),
    dict(name="176-import-playbook-tags-vars", play=play("""
        - import_playbook: child.yml
          tags: [T-2]
          vars:
            greeting: hello
        - hosts: all
          gather_facts: false
          tasks:
            - debug:
                msg: not this
        """), args=["--tags", "T-2"], out=['"msg": "hello from the child"'], not_out=['"msg": "not this"'], files_in={"child.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ greeting }} from the child\"\n"}),
    # ---- roles in full (210-239)
    # Dependencies and role entries run once per set of parameters; allow_duplicates lets them repeat.
    dict(name="210-role-deps-dedup-params", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - app
            - web
            - common
            - role: common
              x: two
            - role: common
              x: two
            - dup
            - dup
        """), out=['"msg": "common one"', '"msg": "common two"', '"msg": "dup"', "TASK [common : debug]"], files_in={
            "roles/common/defaults/main.yml": "x: one\n",
            "roles/common/tasks/main.yml": "- debug:\n    msg: \"common {{ x }}\"\n",
            "roles/app/meta/main.yml": "dependencies:\n  - common\n",
            "roles/app/tasks/main.yml": "- debug:\n    msg: app\n",
            "roles/web/meta/main.yml": "dependencies:\n  - role: common\n",
            "roles/web/tasks/main.yml": "- debug:\n    msg: web\n",
            "roles/dup/meta/main.yml": "allow_duplicates: true\n",
            "roles/dup/tasks/main.yml": "- debug:\n    msg: dup\n",
        }),
    # A dependency with parameters; a dependency's dependency; import_role of a role already run runs again.
    dict(name="211-role-deps-nested-import-again", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - top
          tasks:
            - import_role:
                name: base
            - include_role:
                name: base
        """), out=['"msg": "base p=dep"', '"msg": "mid"', '"msg": "top"', '"msg": "base p=dflt"'], files_in={
            "roles/base/defaults/main.yml": "p: dflt\n",
            "roles/base/tasks/main.yml": "- debug:\n    msg: \"base p={{ p }}\"\n",
            "roles/mid/meta/main.yml": "dependencies:\n  - role: base\n    p: dep\n",
            "roles/mid/tasks/main.yml": "- debug:\n    msg: mid\n",
            "roles/top/meta/main.yml": "dependencies:\n  - mid\n",
            "roles/top/tasks/main.yml": "- debug:\n    msg: top\n",
        }),
    # include_role/import_role with tasks_from, vars_from, defaults_from, handlers_from.
    dict(name="212-role-from-files", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - include_role:
                name: r
                tasks_from: other
                vars_from: alt
                defaults_from: alt
                handlers_from: alt
            - import_role:
                name: r
                tasks_from: other.yml
        """), out=['"msg": "other v=alt-vars d=alt-defaults"', 'RUNNING HANDLER [r : alt handler]', '"msg": "alt handled"', '"msg": "other v=main-vars d=main-defaults"'], not_out=['"msg": "main task"'], files_in={
            "roles/r/defaults/main.yml": "d: main-defaults\n",
            "roles/r/defaults/alt.yml": "d: alt-defaults\n",
            "roles/r/vars/main.yml": "v: main-vars\n",
            "roles/r/vars/alt.yml": "v: alt-vars\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: main task\n",
            "roles/r/tasks/other.yml": "- debug:\n    msg: \"other v={{ v }} d={{ d }}\"\n  changed_when: true\n  notify: alt handler\n",
            "roles/r/handlers/main.yml": "- name: main handler\n  debug:\n    msg: main handled\n",
            "roles/r/handlers/alt.yml": "- name: alt handler\n  debug:\n    msg: alt handled\n",
        }),
    # include_role: the role's vars and defaults stay private unless public: true; import_role is public.
    dict(name="213-role-public-visibility", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - include_role:
                name: priv
            - debug:
                msg: "after private {{ pv | default('unset') }} {{ pd | default('unset') }}"
            - include_role:
                name: pub
                public: true
            - debug:
                msg: "after public {{ qv | default('unset') }} {{ qd | default('unset') }}"
            - import_role:
                name: imp
            - debug:
                msg: "after import {{ iv | default('unset') }} {{ id | default('unset') }}"
        """), out=['"msg": "after private unset unset"', '"msg": "after public qv qd"', '"msg": "after import iv id"'], files_in={
            "roles/priv/vars/main.yml": "pv: pv\n",
            "roles/priv/defaults/main.yml": "pd: pd\n",
            "roles/priv/tasks/main.yml": "- debug:\n    msg: \"in {{ pv }} {{ pd }}\"\n",
            "roles/pub/vars/main.yml": "qv: qv\n",
            "roles/pub/defaults/main.yml": "qd: qd\n",
            "roles/pub/tasks/main.yml": "- debug:\n    msg: pub\n",
            "roles/imp/vars/main.yml": "iv: iv\n",
            "roles/imp/defaults/main.yml": "id: id\n",
            "roles/imp/tasks/main.yml": "- debug:\n    msg: imp\n",
        }),
    # A role's handler answers to `role : name` and to its plain name, and to its listen topic.
    dict(name="214-role-handler-names", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - r
          tasks:
            - command: echo a
              notify: "r : restart"
            - command: echo b
              notify: reload
            - command: echo c
              notify: "r : topic"
        """), out=['RUNNING HANDLER [r : restart]', 'RUNNING HANDLER [r : reload]', '"msg": "restarted"', '"msg": "reloaded"', '"msg": "heard"'], files_in={
            "roles/r/tasks/main.yml": "- debug:\n    msg: role\n",
            "roles/r/handlers/main.yml": "- name: restart\n  debug:\n    msg: restarted\n- name: reload\n  debug:\n    msg: reloaded\n- name: listener\n  debug:\n    msg: heard\n  listen: topic\n",
        }),
    # roles_path from ansible.cfg; role_path and role_name.
    dict(name="215-roles-path-cfg", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - far
        """), out=['"msg": "far elsewhere far"'], files_in={
            "ansible.cfg": "[defaults]\nroles_path = ./elsewhere:./more\n",
            "elsewhere/far/tasks/main.yml": "- debug:\n    msg: \"{{ role_name }} {{ role_path | dirname | basename }} {{ role_path | basename }}\"\n",
        }),
    # meta: end_batch ends this batch only; the next batch runs.
    dict(name="217-meta-end-batch", inventory=H2, play=play("""
        - hosts: all
          gather_facts: false
          serial: 1
          tasks:
            - meta: end_batch
              when: inventory_hostname == 'h1'
            - debug:
                msg: "after {{ inventory_hostname }}"
        """), out=['"msg": "after h2"'], not_out=['"msg": "after h1"']),
    # Argument specs: a missing required option fails before the role's tasks, with Ansible's message.
    dict(name="218-role-argspec-missing-required", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - r
        """), out=["TASK [r : Validating arguments against arg spec 'main' - The main entry point] ***", 'fatal: [h1]: FAILED! => {"argument_errors": ["missing required arguments: name, port"], "argument_spec_data": {"name": {"required": true, "type": "str"}, "port": {"required": true, "type": "int"}}, "changed": false, "msg": "Validation of arguments failed:'], not_out=['"msg": "role ran"'], files_in={
            "roles/r/meta/argument_specs.yml": "argument_specs:\n  main:\n    short_description: The main entry point\n    options:\n      port:\n        type: int\n        required: true\n      name:\n        type: str\n        required: true\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: role ran\n",
        }),
    # Valid arguments pass; types are checked, defaults of the spec are not set as variables.
    dict(name="219-role-argspec-valid-defaults", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - role: r
              lport: "8080"
              flag: "yes"
              items: a,b
        """), out=["TASK [r : Validating arguments against arg spec 'main' - Main] ***", '"msg": "8080 True yes a,b no level"'], files_in={
            "roles/r/meta/argument_specs.yml": "argument_specs:\n  main:\n    short_description: Main\n    options:\n      lport:\n        type: int\n      flag:\n        type: bool\n      items:\n        type: list\n        elements: str\n      level:\n        type: str\n        default: high\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: \"{{ lport }} {{ lport is string }} {{ flag }} {{ items }} {{ level | default('no level') }}\"\n",
        }),
    # Wrong types, choices, elements and nested options: every error in one message.
    dict(name="220-role-argspec-type-errors", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - role: r
              lport: many
              mode: fast
              nums: [1, x]
              conf:
                size: big
        """), out=["TASK [r : Validating arguments against arg spec 'main'] ***", '"argument_errors": ["argument \'lport\' is of type <class \'ansible.parsing.yaml.objects.AnsibleUnicode\'> and we were unable to convert to int: <class \'ansible.parsing.yaml.objects.AnsibleUnicode\'> cannot be converted to an int", "Elements value for option \'nums\' is of type <class \'ansible.parsing.yaml.objects.AnsibleUnicode\'> and we were unable to convert to int: <class \'ansible.parsing.yaml.objects.AnsibleUnicode\'> cannot be converted to an int", "value of mode must be one of: slow, safe, got: fast", "missing required arguments: path found in conf", "argument \'size\' is of type <class \'ansible.parsing.yaml.objects.AnsibleUnicode\'> found in \'conf\'. and we were unable to convert to int: <class \'ansible.parsing.yaml.objects.AnsibleUnicode\'> cannot be converted to an int"]'], files_in={
            "roles/r/meta/argument_specs.yml": "argument_specs:\n  main:\n    options:\n      lport:\n        type: int\n      mode:\n        choices: [slow, safe]\n      nums:\n        type: list\n        elements: int\n      conf:\n        type: dict\n        options:\n          size:\n            type: int\n          path:\n            type: path\n            required: true\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: ran\n",
        }),
    # The entry point is the tasks_from name; argument_specs may sit in meta/main.yml; rolespec_validate: false skips.
    dict(name="221-role-argspec-entry-points", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - include_role:
                name: r
                tasks_from: setup
              vars:
                a: 1
            - include_role:
                name: r
                rolespec_validate: false
            - import_role:
                name: r
              ignore_errors: true
        """), out=["TASK [r : Validating arguments against arg spec 'setup' - Setup entry] ***", '"msg": "setup ran"', "TASK [r : Validating arguments against arg spec 'main' - Main entry] ***", '"argument_errors": ["missing required arguments: need"], "argument_spec_data": {"need": {"required": true}}', '...ignoring'], files_in={
            "roles/r/meta/main.yml": "argument_specs:\n  main:\n    short_description: Main entry\n    options:\n      need:\n        required: true\n  setup:\n    short_description: Setup entry\n    options:\n      a:\n        type: int\n        required: true\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: main ran\n",
            "roles/r/tasks/setup.yml": "- debug:\n    msg: setup ran\n",
        }),
    # Constraints apply inside a dict option (not at the entry point); unknown role params are errors.
    dict(name="222-role-argspec-constraints", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - role: r
              extra: 1
              conf:
                a: 1
                b: 2
                c: 3
                state: present
        """), out=['"argument_errors": ["parameters are mutually exclusive: a|b found in conf", "parameters are required together: c, d found in conf", "one of the following is required: e, f found in conf", "state is present but all of the following are missing: g, h found in conf", "extra. Supported parameters include: conf, top1, top2."]'], files_in={
            "roles/r/meta/argument_specs.yml": "argument_specs:\n  main:\n    mutually_exclusive:\n      - [top1, top2]\n    options:\n      top1: {}\n      top2: {}\n      conf:\n        type: dict\n        mutually_exclusive:\n          - [a, b]\n        required_together:\n          - [c, d]\n        required_one_of:\n          - [e, f]\n        required_if:\n          - [state, present, [g, h]]\n        options:\n          a: {}\n          b: {}\n          c: {}\n          d: {}\n          e: {}\n          f: {}\n          g: {}\n          h: {}\n          state: {}\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: ran\n",
        }),
    # The validate_argument_spec module used directly.
    dict(name="223-validate-argument-spec-module", play=play("""
        - hosts: all
          gather_facts: false
          tasks:
            - validate_argument_spec:
                argument_spec:
                  port:
                    type: int
                    required: true
                provided_arguments:
                  port: "22"
              register: ok
            - debug:
                msg: "{{ ok.validate_args_context | default('none') }} {{ ok.changed }}"
            - validate_argument_spec:
                argument_spec:
                  port:
                    type: int
                    required: true
                  name:
                    choices: [a, b]
                provided_arguments:
                  name: c
              ignore_errors: true
              register: bad
            - debug:
                msg: "{{ bad.argument_errors }}"
        """), out=['"msg": "{} False"', '"argument_errors": ["missing required arguments: port", "value of name must be one of: a, b, got: c"], "argument_spec_data": {"name": {"choices": ["a", "b"]}, "port": {"required": true, "type": "int"}}, "changed": false', '    "msg": [\n        "missing required arguments: port",\n        "value of name must be one of: a, b, got: c"\n    ]']),
    # Dependencies of import_role/include_role skip what already ran; the role itself runs again.
    dict(name="224-role-include-deps-dedup", play=play("""
        - hosts: all
          gather_facts: false
          roles:
            - c
            - d
          tasks:
            - import_role:
                name: c
            - include_role:
                name: d
            - import_role:
                name: d
        """), out=['"msg": "c 0"', '"msg": "c 1"', "TASK [include_role : d] ***", "included: d for h1\n"], files_in={
            "roles/c/tasks/main.yml": "- debug:\n    msg: \"c {{ x | default(0) }}\"\n",
            "roles/d/meta/main.yml": "dependencies:\n  - c\n  - role: c\n    x: 1\n",
            "roles/d/tasks/main.yml": "- debug:\n    msg: d\n",
        }),
    # A required option may come from the role's defaults or play vars; the check is tagged always.
    dict(name="225-role-argspec-from-vars-tags", play=play("""
        - hosts: all
          gather_facts: false
          vars:
            from_play: 1
          roles:
            - role: r
              tags: [mine]
            - role: r
              tags: [other]
              bad: 1
        """), args=["--tags", "mine"], out=["TASK [r : Validating arguments against arg spec 'main'] ***", '"msg": "ran 2 1"', '"argument_errors": ["bad. Supported parameters include: from_default, from_play."]'], files_in={
            "roles/r/defaults/main.yml": "from_default: 2\n",
            "roles/r/meta/argument_specs.yml": "argument_specs:\n  main:\n    options:\n      from_default:\n        type: int\n        required: true\n      from_play:\n        type: int\n        required: true\n",
            "roles/r/tasks/main.yml": "- debug:\n    msg: \"ran {{ from_default }} {{ from_play }}\"\n",
        }),
]


def ansible_inventory(text):
    lines = []
    for l in text.splitlines():
        if "ansible_connection=local" in l:
            l += f" ansible_python_interpreter={VENV}/bin/python"
        lines.append(l)
    return "\n".join(lines) + "\n"


def main():
    for c in CASES:
        if ONLY and not re.search(ONLY, c["name"]):
            continue
        d = os.path.join(HERE, c["name"])
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        inv = c.get("inventory", "h1 ansible_connection=local\n")
        files_in = c.get("files_in", {})
        with open(os.path.join(d, "playbook.yml"), "w") as f:
            f.write(c["play"])
        if "inventory" in c:
            with open(os.path.join(d, "inventory.ini"), "w") as f:
                f.write(inv)
        if c.get("args"):
            with open(os.path.join(d, "args"), "w") as f:
                f.write("\n".join(c["args"]) + "\n")
        for rel, text in files_in.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)) or d, exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        for rel in c.get("pre_dirs", []):
            os.makedirs(os.path.join(d, rel), exist_ok=True)
            open(os.path.join(d, rel, ".keep"), "w").close()
        # Run real Ansible in a scratch copy.
        with tempfile.TemporaryDirectory() as work:
            shutil.copytree(d, work, dirs_exist_ok=True)
            with open(os.path.join(work, "inventory.ini"), "w") as f:
                f.write(ansible_inventory(inv))
            env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CONFIG=os.path.join(work, "none.cfg"),
                       HOME=work, ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_LOCALHOST_WARNING="0")
            p = subprocess.run([f"{VENV}/bin/ansible-playbook", "playbook.yml", "-i", "inventory.ini"] + c.get("args", []), cwd=work, env=env, capture_output=True, text=True)
            out = p.stdout
            if SHOW:
                print(f"===== {c['name']} (exit {p.returncode})\n{out}{p.stderr}")
            exp = [f"# from {subprocess.run([VENV + '/bin/ansible', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}", f"exit: {p.returncode}"]
            recap = out.split("PLAY RECAP")[-1] if "PLAY RECAP" in out else ""
            for line in recap.splitlines():
                m = re.match(r"^(\S+)\s+:\s+(.*)$", line)
                if m:
                    exp.append(f"recap {m.group(1)}: " + " ".join(m.group(2).split()))
            for frag in c.get("out", []):
                if frag not in out:
                    sys.exit(f"{c['name']}: Ansible's output lacks {frag!r}\n{out}\n{p.stderr}")
                exp.append("stdout: " + frag.replace("\n", "\\n"))
            for frag in c.get("err", []):
                if frag not in p.stderr:
                    sys.exit(f"{c['name']}: Ansible's stderr lacks {frag!r}\n{p.stderr}")
                exp.append("stderr: " + frag.replace("\n", "\\n"))
            for frag in c.get("not_out", []):
                if frag in out:
                    sys.exit(f"{c['name']}: Ansible's output has {frag!r}\n{out}")
                exp.append("!stdout: " + frag.replace("\n", "\\n"))
            for rel in c.get("files", []):
                with open(os.path.join(work, rel)) as f:
                    exp.append(f"file {rel}: " + f.read().replace("\n", "\\n"))
            for rel in c.get("absent", []):
                if os.path.exists(os.path.join(work, rel)):
                    sys.exit(f"{c['name']}: {rel} exists after Ansible's run")
                exp.append(f"nofile {rel}")
        with open(os.path.join(d, "expect"), "w") as f:
            f.write("\n".join(exp) + "\n")
        print(f"{c['name']}: exit {p.returncode}")


if __name__ == "__main__":
    main()
