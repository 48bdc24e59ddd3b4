// One reader role per team, declared in a loop; the body's literal values are linted once.
param teams array = [
  'red'
  'blue'
]

resource readers 'Microsoft.Authorization/roleDefinitions@2022-04-01' = [for team in teams: {
  name: guid(subscription().id, team)
  properties: {
    roleName: 'Reader (${team})'
    description: 'Reads compute and network resources for team ${team}.'
    permissions: [
      {
        actions: [
          'Microsoft.Compute/*/read'
          'Microsoft.Network/*'
          'Microsoft.Insights/${team}/read'
        ]
      }
    ]
    assignableScopes: [
      '/subscriptions/00000000-0000-0000-0000-000000000000'
    ]
  }
}]
