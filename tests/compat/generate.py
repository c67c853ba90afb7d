#!/usr/bin/env python3
"""Builds the compatibility corpus: each case below is written to tests/compat/<name>/
and run with REAL ansible-playbook; its exit code, recap counts, the output fragments
listed here (checked against Ansible's output first) and the files it produced become
the case's `expect`. hotplay must then match them (tests/compat.rs).

Usage: python3 -m venv /tmp/ansible-venv && /tmp/ansible-venv/bin/pip install 'ansible-core>=2.16,<2.18'
       python3 tests/compat/generate.py [/tmp/ansible-venv]
"""
import os, re, shutil, subprocess, sys, tempfile

VENV = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ansible-venv"
HERE = os.path.dirname(os.path.abspath(__file__))
P = "- hosts: all\n  gather_facts: false\n"

CASES = [
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


def ansible_inventory(text):
    lines = []
    for l in text.splitlines():
        if "ansible_connection=local" in l:
            l += f" ansible_python_interpreter={VENV}/bin/python"
        lines.append(l)
    return "\n".join(lines) + "\n"


def main():
    for c in CASES:
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
            exp = [f"# from {subprocess.run([VENV + '/bin/ansible', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}", f"exit: {p.returncode}"]
            recap = out.split("PLAY RECAP")[-1] if "PLAY RECAP" in out else ""
            for line in recap.splitlines():
                m = re.match(r"^(\S+)\s+:\s+(.*)$", line)
                if m:
                    exp.append(f"recap {m.group(1)}: " + " ".join(m.group(2).split()))
            for frag in c.get("out", []):
                if frag not in out:
                    sys.exit(f"{c['name']}: Ansible's output lacks {frag!r}\n{out}\n{p.stderr}")
                exp.append(f"stdout: {frag}")
            for frag in c.get("not_out", []):
                if frag in out:
                    sys.exit(f"{c['name']}: Ansible's output has {frag!r}\n{out}")
                exp.append(f"!stdout: {frag}")
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
